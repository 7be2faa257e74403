import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q

from regions.models import PDU, Region

from .choices import CaseType, CourtReport, Lens, RatedBy, Rating, Rounding
from .triggers import (
    append_only_trigger,
    audited,
    inspection_publication_trigger,
    locked_inspection_trigger,
    stamp_transaction_trigger,
)


class Framework(models.Model):
    """A versioned inspection framework with its rating rules held as data.

    Thresholds, rounding, points and the overall band table live here so that a
    framework revision is a new record, never a code change.
    """

    # The vocabulary lives in choices.py, shared with the pure rating rules.
    Rounding = Rounding

    code = models.SlugField(unique=True, help_text="For example pdu-2021")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    outstanding_threshold = models.DecimalField(max_digits=5, decimal_places=2, default=80)
    good_threshold = models.DecimalField(max_digits=5, decimal_places=2, default=65)
    requires_improvement_threshold = models.DecimalField(max_digits=5, decimal_places=2, default=50)
    rounding = models.CharField(max_length=20, choices=Rounding.choices, default=Rounding.EXACT)
    points_outstanding = models.PositiveSmallIntegerField(default=3)
    points_good = models.PositiveSmallIntegerField(default=2)
    points_requires_improvement = models.PositiveSmallIntegerField(default=1)
    points_inadequate = models.PositiveSmallIntegerField(default=0)
    standard_count = models.PositiveSmallIntegerField(help_text="Standards that make up the score")

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outstanding_threshold__lte=100)
                & Q(outstanding_threshold__gt=F("good_threshold"))
                & Q(good_threshold__gt=F("requires_improvement_threshold"))
                & Q(requires_improvement_threshold__gt=0),
                name="framework_thresholds_descend",
            ),
            models.CheckConstraint(
                condition=Q(points_outstanding__gt=F("points_good"))
                & Q(points_good__gt=F("points_requires_improvement"))
                & Q(points_requires_improvement__gt=F("points_inadequate")),
                name="framework_points_descend",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def max_score(self) -> int:
        return self.standard_count * self.points_outstanding


class OverallBand(models.Model):
    """One row of a framework's band table: a score range and its overall rating."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="bands")
    rating = models.CharField(max_length=32, choices=Rating.choices)
    min_score = models.PositiveSmallIntegerField()
    max_score = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["framework", "min_score"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "rating"], name="band_unique_rating_per_framework"),
            models.CheckConstraint(condition=Q(min_score__lte=F("max_score")), name="band_min_not_above_max"),
        ]

    def __str__(self) -> str:
        return f"{self.min_score}–{self.max_score}: {self.get_rating_display()}"


class Standard(models.Model):
    # The vocabulary lives in choices.py, shared with the pure rating rules.
    RatedBy = RatedBy

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="standards")
    domain = models.PositiveSmallIntegerField()
    domain_title = models.CharField(max_length=120)
    code = models.CharField(max_length=10, help_text="For example 2.2")
    title = models.CharField(max_length=120)
    headline = models.TextField(help_text="The standard's headline statement")
    rated_by = models.CharField(max_length=20, choices=RatedBy.choices)
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["framework", "order"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="standard_unique_code_per_framework"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Question(models.Model):
    """A key question or a prompt of a framework.

    Key questions (for example 2.2.3) are the yes/no judgements that rate a
    standard; prompts (2.2.3.e) inform them and give the letter's findings. Both
    are answered per case, so both live in one table and one answer table.
    Case-wide prompts such as management oversight have no standard.
    """

    class Kind(models.TextChoices):
        KEY_QUESTION = "key_question", "Key question"
        PROMPT = "prompt", "Prompt"

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="questions")
    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, null=True, blank=True, related_name="questions")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="prompts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    code = models.CharField(max_length=16)
    text = models.TextField()
    lens = models.CharField(max_length=20, choices=Lens.choices, blank=True)
    allows_not_applicable = models.BooleanField(
        default=False, help_text="Asked only in relevant cases, so 'not applicable' is a valid answer"
    )
    case_types = ArrayField(
        models.CharField(max_length=20, choices=CaseType.choices),
        default=list,
        blank=True,
        help_text="Case types it is asked for; empty means every case type",
    )
    requires_court_report = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["framework", "order"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="question_unique_code_per_framework"),
            models.CheckConstraint(
                condition=Q(kind="prompt") | (Q(parent__isnull=True) & Q(standard__isnull=False)),
                name="question_key_question_has_standard_no_parent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"

    def why_not_asked(self, *, case_type: str, court_report: str) -> str | None:
        """Why this question is not asked in a case of this type, or None when it is.

        The one home of the applicability rule in Python (pages, import, commands); the
        database trigger `answer_applies_to_case` holds the same rule for every other path.
        """
        if self.standard_id is not None and self.standard.rated_by == Standard.RatedBy.JUDGEMENT:
            return (
                f"question {self.code} belongs to {self.standard.code} {self.standard.title}, "
                "which is rated by the inspectors' judgement, not case by case"
            )
        if self.case_types and case_type not in self.case_types:
            kinds = " or ".join(CaseType(t).label.lower() for t in self.case_types)
            return f"question {self.code} is asked only in {kinds} cases"
        if self.requires_court_report and court_report == CourtReport.NONE:
            return f"question {self.code} is asked only where a court report was prepared"
        return None

    def applies_to(self, *, case_type: str, court_report: str) -> bool:
        return self.why_not_asked(case_type=case_type, court_report=court_report) is None


reference_validator = RegexValidator(
    r"^[A-Z]{2,4}-[A-Z]{2,5}-\d{4}$", "Enter a reference like SW-DOR-2023: region, PDU and year in capitals"
)


@pghistory.track(*audited())
class Inspection(models.Model):
    """One PDU inspected once."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        FIELDWORK = "fieldwork", "Fieldwork"
        MODERATION = "moderation", "Moderation"
        RATINGS_PANEL = "ratings_panel", "Ratings panel"
        PUBLISHED = "published", "Published"

    # Workflow order, used to move forward one step at a time.
    STATUS_ORDER = [Status.PLANNED, Status.FIELDWORK, Status.MODERATION, Status.RATINGS_PANEL, Status.PUBLISHED]

    reference = models.CharField(max_length=20, unique=True, validators=[reference_validator])
    pdu = models.ForeignKey(PDU, on_delete=models.PROTECT, related_name="inspections")
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="inspections")
    fieldwork_start = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    published_on = models.DateField(null=True, blank=True)
    # Set while a lead has unlocked a published inspection to correct it; see LockEvent.
    unlocked_at = models.DateTimeField(null=True, blank=True)
    # Generated for trying the national view and trends (`load_demo --national`), never real:
    # every page that shows one says so.
    synthetic = models.BooleanField(default=False, help_text="Generated demonstration data, not a real inspection")
    team = models.ManyToManyField(settings.AUTH_USER_MODEL, through="TeamMember", related_name="inspections")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-fieldwork_start", "reference"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_on__isnull=False),
                name="inspection_published_has_date",
            ),
        ]
        triggers = [inspection_publication_trigger()]

    def __str__(self) -> str:
        return f"{self.reference} ({self.pdu})"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_locked(self) -> bool:
        """Published records are read-only everywhere until a lead unlocks them with a reason."""
        return self.is_published and self.unlocked_at is None

    @property
    def is_open_for_correction(self) -> bool:
        """Published, and unlocked by a lead to correct it: republishing locks it again."""
        return self.is_published and self.unlocked_at is not None


class LockEvent(models.Model):
    """The log of unlocking and relocking a published inspection: who, when and why."""

    class Action(models.TextChoices):
        PUBLISHED = "published", "Published"
        UNLOCKED = "unlocked", "Unlocked"
        RELOCKED = "relocked", "Locked again"
        REPUBLISHED = "republished", "Republished"

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="lock_events")
    action = models.CharField(max_length=20, choices=Action.choices)
    reason = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    # Set by the database (txid_current()) on insert: the inspection's publication guard
    # accepts a change of its lock columns only with a lock event of the same transaction.
    transaction_id = models.BigIntegerField(null=True, editable=False)

    class Meta:
        ordering = ["inspection", "-at"]
        constraints = [models.CheckConstraint(condition=Q(reason__regex=r"\S"), name="lock_event_has_reason")]
        triggers = [
            stamp_transaction_trigger("lock_event_stamp_transaction"),
            append_only_trigger("lock_event_append_only"),
        ]

    def __str__(self) -> str:
        return f"{self.inspection.reference} {self.get_action_display()} by {self.by} on {self.at:%d %B %Y}"


@pghistory.track(*audited())
class TeamMember(models.Model):
    class Role(models.TextChoices):
        LEAD_INSPECTOR = "lead_inspector", "Lead inspector"
        INSPECTOR = "inspector", "Inspector"

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        ordering = ["inspection", "role", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "user"], name="team_member_unique_per_inspection"),
        ]
        # Who is on the team decides who may see and change the records: locked with them.
        triggers = [locked_inspection_trigger("team_member_locked", "rec.inspection_id")]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} on {self.inspection.reference}"


@pghistory.track(*audited())
class OrganisationalJudgement(models.Model):
    """The team's rating of a domain one standard (1.1–1.4), with its rationale."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="judgements")
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="judgements")
    rating = models.CharField(max_length=32, choices=Rating.choices)
    rationale = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["inspection", "standard__order"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "standard"], name="judgement_unique_per_inspection_standard"),
        ]
        triggers = [locked_inspection_trigger("judgement_locked", "rec.inspection_id")]

    def __str__(self) -> str:
        return f"{self.inspection.reference} {self.standard.code}: {self.get_rating_display()}"


class Addressee(models.TextChoices):
    PDU = "pdu", "The PDU"
    REGION = "region", "The region"
    HMPPS = "hmpps", "HM Prison and Probation Service"


@pghistory.track(*audited())
class Recommendation(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="recommendations")
    addressee = models.CharField(max_length=10, choices=Addressee.choices)
    text = models.TextField()
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["inspection", "order"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "order"], name="recommendation_unique_order"),
        ]
        triggers = [locked_inspection_trigger("recommendation_locked", "rec.inspection_id")]

    def __str__(self) -> str:
        return f"{self.inspection.reference} #{self.order}: {self.text[:60]}"


@pghistory.track(*audited())
class RegionalReview(models.Model):
    """A round of PDU inspections in a region, summarised in a letter to its director."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="reviews")
    slug = models.SlugField(unique=True, help_text="For example south-west-2023")
    letter_date = models.DateField()
    addressee = models.CharField(max_length=200, help_text="Name and title of the Regional Probation Director")
    inspections = models.ManyToManyField(Inspection, related_name="regional_reviews", blank=True)
    summary = models.TextField(blank=True)
    greeting = models.CharField(max_length=200, blank=True, help_text="For example “Dear Angela,”")
    copy_to = models.TextField(blank=True, help_text="The letter's copy list, one person or address per line")
    signatory = models.TextField(blank=True, help_text="The sign-off: name, then title, one per line")
    introduction = models.TextField(blank=True, help_text="The opening paragraphs, before the regional observations")

    class Meta:
        ordering = ["-letter_date"]

    def __str__(self) -> str:
        return f"{self.region} regional review ({self.letter_date:%B %Y})"


@pghistory.track(*audited())
class RegionalFinding(models.Model):
    """A paragraph of the letter's regional observations, under one heading."""

    class Heading(models.TextChoices):
        LEADERSHIP = "leadership", "Leadership"
        STAFF = "staff", "Staff"
        SERVICES = "services", "Services and interventions"
        INFORMATION = "information", "Information and facilities"
        VICTIM_WORK = "victim_work", "Statutory victim work"
        SFO_LEARNING = "sfo_learning", "Learning from SFO investigations"

    class Kind(models.TextChoices):
        NARRATIVE = "narrative", "Narrative"
        STRENGTH = "strength", "Key strength"
        IMPROVEMENT = "improvement", "Area for improvement"

    review = models.ForeignKey(RegionalReview, on_delete=models.CASCADE, related_name="findings")
    heading = models.CharField(max_length=20, choices=Heading.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.TextField()
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["review", "order"]
        constraints = [
            models.UniqueConstraint(fields=["review", "order"], name="regional_finding_unique_order"),
        ]

    def __str__(self) -> str:
        return f"{self.get_heading_display()} – {self.get_kind_display()}: {self.text[:60]}"
