"""Vocabularies of the inspection framework, shared by the apps above this one.

Kept apart from the models so that the pure ratings rules can use them without
touching the ORM.
"""

from django.db import models


class Rating(models.TextChoices):
    OUTSTANDING = "outstanding", "Outstanding"
    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement"
    INADEQUATE = "inadequate", "Inadequate"


# Best first: the order the thresholds are tested in and bands are listed in.
RATING_ORDER = [Rating.OUTSTANDING, Rating.GOOD, Rating.REQUIRES_IMPROVEMENT, Rating.INADEQUATE]


class CaseType(models.TextChoices):
    COMMUNITY = "community", "Community sentence"
    LICENCE = "licence", "Licence or post-sentence supervision"
    UNPAID_WORK = "unpaid_work", "Stand-alone unpaid work"


class CourtReport(models.TextChoices):
    NONE = "none", "None"
    ORAL = "oral", "Oral"
    SHORT_FORMAT = "short_format", "Short format"
    STANDARD = "standard", "Standard delivery"


class Lens(models.TextChoices):
    ENGAGEMENT = "engagement", "Engaging the person on probation"
    DESISTANCE = "desistance", "Offending and desistance"
    SAFETY = "safety", "Keeping other people safe"
    OVERALL = "overall", "Overall"


class AnswerValue(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    NOT_APPLICABLE = "not_applicable", "Not applicable"
