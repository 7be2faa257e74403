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


class RatedBy(models.TextChoices):
    """How a standard is rated (Standard.rated_by, and the rules' input)."""

    JUDGEMENT = "judgement", "Inspectors' judgement"
    CASE_DATA = "case_data", "Case data"


class Rounding(models.TextChoices):
    """How a key question's percentage meets a threshold (Framework.rounding, and the rules)."""

    EXACT = "exact", "Compare the exact fraction"
    WHOLE_PERCENT = "whole_percent", "Round to a whole per cent, half up, then compare"


class Source(models.TextChoices):
    """Where a standard's rating came from: its rating method, or the ratings panel moving it.

    The labels are read mid-sentence ("Good (2 points), from the case data.").
    """

    CASE_DATA = RatedBy.CASE_DATA.value, "from the case data"
    JUDGEMENT = RatedBy.JUDGEMENT.value, "the inspection team's judgement"
    OVERRIDE = "override", "moved by the ratings panel"


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


class Progress(models.TextChoices):
    """The one vocabulary of a case's state, as every page shows it, in workflow order.

    Derived by `progress_of` (and its SQL twin, `casework.states.with_progress`): a draft
    splits on whether anything has been answered; an archived case is archived whatever its
    status; the other values are the case review's own statuses. No page shows "Draft".
    """

    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"
    RETURNED = "returned", "Returned"
    MODERATED = "moderated", "Moderated"
    ARCHIVED = "archived", "Archived"


# One GOV.UK tag colour per case state ("" is the plain, blue tag); templates/includes/tag.html reads it.
PROGRESS_TAG_COLOURS = {
    Progress.NOT_STARTED: "grey",
    Progress.IN_PROGRESS: "",
    Progress.SUBMITTED: "purple",
    Progress.RETURNED: "orange",
    Progress.MODERATED: "green",
    Progress.ARCHIVED: "pink",
}

RATING_TAG_COLOURS = {
    Rating.OUTSTANDING: "green",
    Rating.GOOD: "teal",
    Rating.REQUIRES_IMPROVEMENT: "yellow",
    Rating.INADEQUATE: "red",
}


def progress_of(*, status: str, answered: bool, archived: bool = False) -> Progress:
    """A case's state from its stored status, whether any answer exists, and whether it is archived."""
    if archived:
        return Progress.ARCHIVED
    if status == "draft":
        return Progress.IN_PROGRESS if answered else Progress.NOT_STARTED
    return Progress(status)


# The words a person may type for yes and no, in a form, an import file or a command option.
# One table, so every path accepts the same words and refuses the same others.
YES_WORDS = frozenset({"yes", "y", "true"})
NO_WORDS = frozenset({"no", "n", "false"})


def parse_yes_no(text: str) -> bool:
    """True or False from a typed yes/no; ValueError (saying what is accepted) for anything else."""
    word = text.strip().lower()
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    raise ValueError(f"{text.strip()!r} is not yes or no: use yes or no")


# An answer as typed in an import file: "n/a" is the short form people write.
ANSWER_WORDS = {"yes": AnswerValue.YES, "no": AnswerValue.NO, "n/a": AnswerValue.NOT_APPLICABLE}


def parse_answer(text: str) -> AnswerValue:
    word = text.strip().lower()
    if word in ANSWER_WORDS:
        return ANSWER_WORDS[word]
    if word in AnswerValue.values:
        return AnswerValue(word)
    raise ValueError(f"{text.strip()!r} is not an answer: use yes, no or n/a")
