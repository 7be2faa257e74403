import pghistory
import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

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
            # The case side of second_review_other_inspector: a case is not reassigned to its second inspector.
            pgtrigger.Trigger(
                name="case_review_not_to_its_second_inspector",
                operation=pgtrigger.Update,
                when=pgtrigger.Before,
                condition=pgtrigger.Condition("OLD.inspector_id IS DISTINCT FROM NEW.inspector_id"),
                func="""
                    IF EXISTS (SELECT 1 FROM casework_secondreview s
                                WHERE s.case_review_id = NEW.id AND s.second_inspector_id = NEW.inspector_id) THEN
                        RAISE EXCEPTION 'case %: its second inspector cannot become its inspector', NEW.case_reference
                            USING ERRCODE = 'check_violation', CONSTRAINT = 'second_review_other_inspector';
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


# The answer side of the framework's rules, for every write path: the question belongs to the
# case's framework, allows "not applicable" if given, and is asked in the case (the applicability
# rule; Question.why_not_asked in Python). Shared by a case's answers and its second marker's
# answers, each naming the SQL that finds the row's case review.
_FRAMEWORK_RULE_SQL = """
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
                         WHERE c.id = {case_review_id};
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
                """


def framework_rule_sql(case_review_id: str) -> str:
    return _FRAMEWORK_RULE_SQL.replace("{case_review_id}", case_review_id)


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
                func=framework_rule_sql("NEW.case_review_id"),
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


# Double marking: a lead asks a second inspector to review a sampled case independently. The
# second answers never count in the ratings; a disagreement is resolved by the lead into the
# case's own Answer (through case_review_save), and the resolution keeps what each marker said.
_SECOND_REVIEW_CASE = "SELECT s.case_review_id FROM casework_secondreview s WHERE s.id = {}"
_INSPECTION_OF_SECOND_REVIEW = (
    "SELECT c.inspection_id FROM casework_casereview c JOIN casework_secondreview s ON s.case_review_id = c.id"
    " WHERE s.id = rec.second_review_id"
)


@pghistory.track(*audited())
class SecondReview(models.Model):
    """An independent second review of one sampled case, by another inspector of the team."""

    class Status(models.TextChoices):
        ASSIGNED = "assigned", "Assigned"
        SUBMITTED = "submitted", "Submitted"

    case_review = models.ForeignKey(CaseReview, on_delete=models.CASCADE, related_name="second_reviews")
    second_inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ASSIGNED)
    # Optimistic concurrency, as on the case review: every save names the version it started from.
    version = models.PositiveIntegerField(default=1)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["case_review"]
        constraints = [
            models.UniqueConstraint(fields=["case_review"], name="second_review_unique_per_case"),
            models.CheckConstraint(condition=Q(version__gte=1), name="second_review_version_positive"),
            models.CheckConstraint(
                condition=Q(status="assigned", submitted_at__isnull=True)
                | Q(status="submitted", submitted_at__isnull=False),
                name="second_review_submitted_has_date",
            ),
        ]
        triggers = [
            locked_inspection_trigger(
                "second_review_locked",
                "SELECT c.inspection_id FROM casework_casereview c WHERE c.id = rec.case_review_id",
            ),
            # The second review is independent only if its inspector is not the case's own.
            pgtrigger.Trigger(
                name="second_review_other_inspector",
                operation=pgtrigger.Insert | pgtrigger.Update,
                when=pgtrigger.Before,
                func="""
                    IF EXISTS (SELECT 1 FROM casework_casereview c
                                WHERE c.id = NEW.case_review_id AND c.inspector_id = NEW.second_inspector_id) THEN
                        RAISE EXCEPTION 'the second inspector of a case cannot be its own inspector'
                            USING ERRCODE = 'check_violation', CONSTRAINT = 'second_review_other_inspector';
                    END IF;
                    RETURN NEW;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_review} second review by {self.second_inspector}"


@pghistory.track(*audited())
class SecondAnswer(models.Model):
    """The second inspector's judgement on one question of the case. Never counted in the ratings."""

    second_review = models.ForeignKey(SecondReview, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    value = models.CharField(max_length=20, choices=AnswerValue.choices)
    note = models.TextField("evidence note", blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["second_review", "question__order"]
        constraints = [
            models.UniqueConstraint(fields=["second_review", "question"], name="second_answer_unique_per_question"),
        ]
        triggers = [
            locked_inspection_trigger("second_answer_locked", _INSPECTION_OF_SECOND_REVIEW),
            # The same framework and applicability rules as the case's own answers.
            pgtrigger.Trigger(
                name="second_answer_fits_framework",
                operation=pgtrigger.Insert | pgtrigger.Update,
                when=pgtrigger.Before,
                func=framework_rule_sql(f"({_SECOND_REVIEW_CASE.format('NEW.second_review_id')})"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.second_review.case_review} second answer to {self.question.code}: {self.value}"


@pghistory.track(*audited())
class AnswerResolution(models.Model):
    """How the lead resolved one disagreement: what each marker said, the final answer and why.

    The final answer itself is the case's Answer; this row keeps the first marker's value as it
    was, so the agreement figures stay those of the independent marking after a resolution.
    """

    second_review = models.ForeignKey(SecondReview, on_delete=models.CASCADE, related_name="resolutions")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    first_value = models.CharField(max_length=20, choices=AnswerValue.choices)
    second_value = models.CharField(max_length=20, choices=AnswerValue.choices)
    final_value = models.CharField(max_length=20, choices=AnswerValue.choices)
    reason = models.TextField()
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    resolved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["second_review", "question__order"]
        constraints = [
            models.UniqueConstraint(fields=["second_review", "question"], name="answer_resolution_unique_per_question"),
            models.CheckConstraint(condition=Q(reason__regex=r"\S"), name="answer_resolution_has_reason"),
            models.CheckConstraint(
                condition=~Q(first_value=models.F("second_value")), name="answer_resolution_of_a_disagreement"
            ),
        ]
        triggers = [locked_inspection_trigger("answer_resolution_locked", _INSPECTION_OF_SECOND_REVIEW)]

    def __str__(self) -> str:
        return f"{self.second_review.case_review} {self.question.code} resolved as {self.final_value}"
