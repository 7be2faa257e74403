import pghistory
import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from inspections.choices import AnswerValue, CaseType, CourtReport
from inspections.models import Inspection, Question
from inspections.triggers import audited, locked_inspection_trigger

case_reference_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9-]{2,19}$",
    "Enter a case reference of 3 to 20 capital letters, digits or hyphens, such as X123456",
)


@pghistory.track(*audited())
class CaseReview(models.Model):
    """An inspector's review of one sampled case. The case reference is the only identifier."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        RETURNED = "returned", "Returned"
        MODERATED = "moderated", "Moderated"

    class Tier(models.TextChoices):
        A = "A", "A"
        B = "B", "B"
        C = "C", "C"
        D = "D", "D"

    class RoshLevel(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        VERY_HIGH = "very_high", "Very high"

    class Mappa(models.TextChoices):
        NONE = "none", "Not MAPPA"
        ONE = "1", "1"
        TWO = "2", "2"
        THREE = "3", "3"

    class PractitionerGrade(models.TextChoices):
        PO = "po", "Probation officer (PO)"
        PSO = "pso", "Probation services officer (PSO)"
        PQIP = "pqip", "Trainee (PQiP)"

    class Gender(models.TextChoices):
        MALE = "male", "Male"
        FEMALE = "female", "Female"
        OTHER = "other", "Other or not stated"

    class Ethnicity(models.TextChoices):
        WHITE = "white", "White"
        BLACK = "black", "Black or Black British"
        ASIAN = "asian", "Asian or Asian British"
        MIXED = "mixed", "Mixed or multiple ethnic groups"
        OTHER = "other", "Other ethnic group"
        NOT_KNOWN = "not_known", "Not known"

    class AgeBand(models.TextChoices):
        AGE_18_24 = "18-24", "18 to 24"
        AGE_25_34 = "25-34", "25 to 34"
        AGE_35_49 = "35-49", "35 to 49"
        AGE_50_PLUS = "50+", "50 and over"

    class Disability(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        NOT_KNOWN = "not_known", "Not known"

    # The case details an inspector enters once (forms, imports and findings all use this list);
    # everything else on the row is identity or workflow.
    ATTRIBUTE_FIELDS = (
        "case_type",
        "court_report",
        "tier",
        "rosh_level",
        "mappa_category",
        "mappa_level",
        "domestic_abuse",
        "child_safeguarding",
        "practitioner_grade",
        "practitioner_months_in_service",
        "same_practitioner",
        "gender",
        "ethnicity_group",
        "age_band",
        "disability",
    )

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="case_reviews")
    case_reference = models.CharField(max_length=20, validators=[case_reference_validator])
    case_type = models.CharField(max_length=20, choices=CaseType.choices)
    court_report = models.CharField(max_length=20, choices=CourtReport.choices, default=CourtReport.NONE)
    tier = models.CharField(max_length=1, choices=Tier.choices, blank=True)
    rosh_level = models.CharField("RoSH level", max_length=10, choices=RoshLevel.choices, blank=True)
    mappa_category = models.CharField("MAPPA category", max_length=4, choices=Mappa.choices, default=Mappa.NONE)
    mappa_level = models.CharField("MAPPA level", max_length=4, choices=Mappa.choices, default=Mappa.NONE)
    domestic_abuse = models.BooleanField("domestic abuse concerns", default=False)
    child_safeguarding = models.BooleanField("child safeguarding concerns", default=False)
    practitioner_grade = models.CharField(max_length=5, choices=PractitionerGrade.choices, blank=True)
    practitioner_months_in_service = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(600)]
    )
    same_practitioner = models.BooleanField("same practitioner throughout", null=True, blank=True)
    gender = models.CharField(max_length=10, choices=Gender.choices, blank=True)
    ethnicity_group = models.CharField(max_length=10, choices=Ethnicity.choices, blank=True)
    age_band = models.CharField(max_length=5, choices=AgeBand.choices, blank=True)
    disability = models.CharField(max_length=10, choices=Disability.choices, blank=True)

    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="case_reviews"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    # Optimistic concurrency: every save names the version it started from.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["inspection", "case_reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["inspection", "case_reference"], name="case_review_unique_reference_per_inspection"
            ),
            models.CheckConstraint(
                condition=Q(mappa_category="none") | ~Q(mappa_level="none"),
                name="case_review_mappa_category_has_level",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="case_review_version_positive"),
        ]
        triggers = [
            locked_inspection_trigger("case_review_locked", "rec.inspection_id"),
            # The case side of the applicability rule (the answer side is answer_fits_framework):
            # a case's type or court report cannot change while it holds answers that would stop applying.
            pgtrigger.Trigger(
                name="case_review_answers_still_apply",
                operation=pgtrigger.Update,
                when=pgtrigger.Before,
                condition=pgtrigger.Condition(
                    "OLD.case_type IS DISTINCT FROM NEW.case_type OR OLD.court_report IS DISTINCT FROM NEW.court_report"
                ),
                declare=[("codes", "text")],
                func="""
                    SELECT string_agg(q.code, ', ' ORDER BY q."order") INTO codes
                      FROM casework_answer a JOIN inspections_question q ON q.id = a.question_id
                     WHERE a.case_review_id = NEW.id
                       AND NOT ((cardinality(q.case_types) = 0 OR NEW.case_type = ANY(q.case_types))
                                AND NOT (q.requires_court_report AND NEW.court_report = 'none'));
                    IF codes IS NOT NULL THEN
                        RAISE EXCEPTION 'case %: the answers to % would no longer apply; remove them first',
                            NEW.case_reference, codes
                            USING ERRCODE = 'check_violation', CONSTRAINT = 'answer_applies_to_case';
                    END IF;
                    RETURN NEW;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.inspection.reference}/{self.case_reference}"

    def clean(self) -> None:
        # Every ModelForm (the admin's, the case details page's) and every service's full_clean
        # gets the MAPPA rule's message on the field to fix, before the constraint's generic one.
        if (problem := mappa_problem(category=self.mappa_category, level=self.mappa_level)) is not None:
            raise ValidationError({"mappa_level": problem})


def mappa_problem(*, category: str | None, level: str | None) -> str | None:
    """The MAPPA rule in Python: a MAPPA category needs a MAPPA level. None when the pair is fine.

    The one Python home of the rule (CaseReview.clean, so forms and services; the CSV import);
    the database holds it as case_review_mappa_category_has_level for every other path.
    """
    if category is None or level is None:  # a form field that failed on its own: nothing to compare
        return None
    if category != CaseReview.Mappa.NONE and level == CaseReview.Mappa.NONE:
        return "A MAPPA case needs its MAPPA level."
    return None


# Deletes are tracked too: an answer removed because its question stopped applying stays on record.
@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Answer(models.Model):
    """One judgement: a case review × a key question or prompt."""

    case_review = models.ForeignKey(CaseReview, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.CharField(max_length=20, choices=AnswerValue.choices)
    note = models.TextField("evidence note", blank=True)
    # The case review's version when this answer last changed: a stale save can then
    # name exactly which answers moved since the version it started from.
    changed_in_version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["case_review", "question__order"]
        constraints = [
            models.UniqueConstraint(fields=["case_review", "question"], name="answer_unique_per_case_question"),
        ]
        # Every write path (forms, imports, the admin, bulk updates, raw SQL) passes
        # through these triggers, so the framework's rules hold in the data itself.
        triggers = [
            locked_inspection_trigger(
                "answer_locked", "SELECT c.inspection_id FROM casework_casereview c WHERE c.id = rec.case_review_id"
            ),
            pgtrigger.Trigger(
                name="answer_fits_framework",
                operation=pgtrigger.Insert | pgtrigger.Update,
                when=pgtrigger.Before,
                func="""
                    DECLARE
                        q inspections_question%ROWTYPE;
                        q_rated_by text;
                        c_case_type text;
                        c_court_report text;
                        i_framework bigint;
                    BEGIN
                        SELECT * INTO q FROM inspections_question WHERE id = NEW.question_id;
                        SELECT s.rated_by INTO q_rated_by FROM inspections_standard s WHERE s.id = q.standard_id;
                        SELECT c.case_type, c.court_report, i.framework_id INTO c_case_type, c_court_report, i_framework
                          FROM casework_casereview c JOIN inspections_inspection i ON i.id = c.inspection_id
                         WHERE c.id = NEW.case_review_id;
                        IF q.framework_id IS DISTINCT FROM i_framework THEN
                            RAISE EXCEPTION 'question % is not part of this inspection''s framework', NEW.question_id
                                USING ERRCODE = 'check_violation', CONSTRAINT = 'answer_question_in_framework';
                        END IF;
                        IF NEW.value = 'not_applicable' AND NOT q.allows_not_applicable THEN
                            RAISE EXCEPTION 'question % does not allow "not applicable"', q.code
                                USING ERRCODE = 'check_violation', CONSTRAINT = 'answer_not_applicable_allowed';
                        END IF;
                        -- The applicability rule (Question.why_not_asked in Python), for every write path.
                        IF q_rated_by = 'judgement'
                           OR cardinality(q.case_types) > 0 AND NOT c_case_type = ANY(q.case_types)
                           OR q.requires_court_report AND c_court_report = 'none' THEN
                            RAISE EXCEPTION 'question % is not asked in this case (% case, court report %)',
                                q.code, c_case_type, c_court_report
                                USING ERRCODE = 'check_violation', CONSTRAINT = 'answer_applies_to_case';
                        END IF;
                        RETURN NEW;
                    END;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_review} {self.question.code}: {self.value}"


@pghistory.track(*audited())
class QAComment(models.Model):
    """A lead inspector's quality-assurance comment, on the whole case or one question."""

    case_review = models.ForeignKey(CaseReview, on_delete=models.CASCADE, related_name="qa_comments")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # The assigned inspector's reply to the comment (blank until they reply).
    reply = models.TextField(blank=True, default="")
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["case_review", "created_at"]
        constraints = [models.CheckConstraint(condition=Q(text__regex=r"\S"), name="qa_comment_has_text")]
        triggers = [
            locked_inspection_trigger(
                "qa_comment_locked", "SELECT c.inspection_id FROM casework_casereview c WHERE c.id = rec.case_review_id"
            )
        ]

    def __str__(self) -> str:
        target = self.question.code if self.question_id else "the case"
        return f"{self.case_review} comment on {target}"
