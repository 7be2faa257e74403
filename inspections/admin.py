"""The inspections admin.

Published records are read-only here, as they are everywhere: a published
inspection (unless a lead has unlocked it with a reason, which the lock log
records) and its team, judgements and recommendations can be viewed but not
changed or deleted. Frameworks that inspections already use are read-only too:
their rules rate those inspections, so a revision is a new framework record.
Publishing and unlocking are workflow steps with their own checks and records
(the ratings snapshot, the lock log), so the admin shows their results and never
performs them.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count

from .models import (
    Framework,
    Inspection,
    LockEvent,
    OrganisationalJudgement,
    OverallBand,
    Question,
    Recommendation,
    RegionalFinding,
    RegionalReview,
    Standard,
    TeamMember,
)

LOCKED_MESSAGE = "{reference} is published and locked: a lead inspector must unlock it, with a reason, first."


def refuse_locked_inspection(form: forms.ModelForm, inspection: Inspection | None, field: str) -> None:
    """Adds a field error when the record would be written into a locked inspection.

    The database refuses such writes for case reviews and answers anyway; this
    turns the refusal into a message on the form instead of a server error.
    """
    if inspection is not None and inspection.is_locked:
        form.add_error(field, LOCKED_MESSAGE.format(reference=inspection.reference))


class NoBulkDeleteMixin:
    """No "delete selected" action: a bulk delete never asks has_delete_permission about each record,
    so it would offer deletes the per-record rules below refuse."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class LockedInspectionMixin(NoBulkDeleteMixin):
    """For admins of records that belong to an inspection: read-only while it is locked, and never
    deleted once it is published (a correction changes a record; the published record stays)."""

    def inspection_of(self, obj) -> Inspection:
        return obj.inspection

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and self.inspection_of(obj).is_locked:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and self.inspection_of(obj).is_published:
            return False
        return super().has_delete_permission(request, obj)


class LockedParentInlineMixin:
    """For inlines on the inspection page: `obj` is the inspection itself."""

    def has_add_permission(self, request, obj=None) -> bool:
        return not (obj is not None and obj.is_locked) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return not (obj is not None and obj.is_locked) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not (obj is not None and obj.is_published) and super().has_delete_permission(request, obj)


# Frameworks ------------------------------------------------------------------


class FrameworkInUseMixin(NoBulkDeleteMixin):
    """Read-only once any inspection uses the framework: editing it would re-rate those inspections."""

    def framework_of(self, obj) -> Framework:
        return obj.framework

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and self.framework_of(obj).inspections.exists():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and self.framework_of(obj).inspections.exists():
            return False
        return super().has_delete_permission(request, obj)


class FrameworkInUseInlineMixin:
    def _in_use(self, obj) -> bool:
        return obj is not None and obj.inspections.exists()

    def has_add_permission(self, request, obj=None) -> bool:
        return not self._in_use(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return not self._in_use(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not self._in_use(obj) and super().has_delete_permission(request, obj)


class OverallBandInline(FrameworkInUseInlineMixin, admin.TabularInline):
    model = OverallBand
    fields = ["rating", "min_score", "max_score"]
    extra = 0


class StandardInline(FrameworkInUseInlineMixin, admin.TabularInline):
    model = Standard
    fields = ["order", "domain", "domain_title", "code", "title", "rated_by"]
    show_change_link = True
    extra = 0


@admin.register(Framework)
class FrameworkAdmin(FrameworkInUseMixin, admin.ModelAdmin):
    list_display = ["code", "title", "standard_count", "max_score", "rounding", "inspection_count"]
    search_fields = ["code", "title"]
    inlines = [OverallBandInline, StandardInline]
    fieldsets = [
        (None, {"fields": ["code", "title", "description", "standard_count"]}),
        (
            "Key question thresholds (per cent)",
            {"fields": ["outstanding_threshold", "good_threshold", "requires_improvement_threshold", "rounding"]},
        ),
        (
            "Points per rating",
            {
                "fields": [
                    "points_outstanding",
                    "points_good",
                    "points_requires_improvement",
                    "points_inadequate",
                ]
            },
        ),
    ]

    def framework_of(self, obj: Framework) -> Framework:
        return obj

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(inspection_total=Count("inspections"))

    @admin.display(description="Inspections", ordering="inspection_total")
    def inspection_count(self, framework: Framework) -> int:
        return framework.inspection_total


@admin.register(OverallBand)
class OverallBandAdmin(FrameworkInUseMixin, admin.ModelAdmin):
    list_display = ["framework", "rating", "min_score", "max_score"]
    list_filter = ["framework"]
    list_select_related = ["framework"]


@admin.register(Standard)
class StandardAdmin(FrameworkInUseMixin, admin.ModelAdmin):
    list_display = ["code", "title", "framework", "domain", "rated_by", "order"]
    list_filter = ["framework", "rated_by", "domain"]
    list_select_related = ["framework"]
    search_fields = ["code", "title", "headline"]
    ordering = ["framework", "order"]


@admin.register(Question)
class QuestionAdmin(FrameworkInUseMixin, admin.ModelAdmin):
    list_display = ["code", "short_text", "kind", "framework", "standard", "lens", "allows_not_applicable"]
    list_filter = ["framework", "kind", "lens", "allows_not_applicable", "requires_court_report"]
    list_select_related = ["framework", "standard"]
    search_fields = ["code", "text"]
    autocomplete_fields = ["standard", "parent"]
    ordering = ["framework", "order"]

    @admin.display(description="Text")
    def short_text(self, question: Question) -> str:
        return question.text if len(question.text) <= 90 else f"{question.text[:89]}…"


# Inspections -----------------------------------------------------------------


class JudgementFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        framework_id = self.instance.framework_id
        for form in self.forms:
            standard = form.cleaned_data.get("standard") if hasattr(form, "cleaned_data") else None
            if standard is not None and framework_id is not None and standard.framework_id != framework_id:
                form.add_error("standard", "Choose a standard of this inspection's framework.")


class TeamMemberInline(LockedParentInlineMixin, admin.TabularInline):
    model = TeamMember
    fields = ["user", "role"]
    autocomplete_fields = ["user"]
    extra = 0


class JudgementInline(LockedParentInlineMixin, admin.StackedInline):
    model = OrganisationalJudgement
    formset = JudgementFormSet
    fields = ["standard", "rating", "rationale", "recorded_by"]
    autocomplete_fields = ["recorded_by"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("standard", "recorded_by")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "standard":
            kwargs["queryset"] = Standard.objects.filter(rated_by=Standard.RatedBy.JUDGEMENT).select_related(
                "framework"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class RecommendationInline(LockedParentInlineMixin, admin.StackedInline):
    model = Recommendation
    fields = ["order", "addressee", "text"]
    extra = 0


class InspectionForm(forms.ModelForm):
    # No Meta: the admin builds it from the model and the admin's fields.
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "status" in self.fields:
            # Publishing takes the ratings snapshot and checks nothing is left in draft, so it
            # happens through the lead's publish action (ratings.services.inspection_publish),
            # never by picking a status here.
            self.fields["status"].choices = [
                choice for choice in self.fields["status"].choices if choice[0] != Inspection.Status.PUBLISHED
            ]

    def clean(self):
        cleaned = super().clean()
        # Answers and judgements refer to the framework's questions and standards; moving the
        # inspection to another framework would leave them pointing at the wrong one.
        framework = cleaned.get("framework")
        if (
            self.instance.pk
            and framework is not None
            and framework.pk != self.instance.framework_id
            and (self.instance.judgements.exists() or self.instance.case_reviews.exists())
        ):
            self.add_error("framework", "The framework cannot change once case reviews or judgements are recorded.")
        return cleaned


@admin.register(Inspection)
class InspectionAdmin(NoBulkDeleteMixin, admin.ModelAdmin):
    form = InspectionForm
    list_display = ["reference", "pdu", "region", "framework", "fieldwork_start", "status", "published_on", "locked"]
    list_filter = ["status", "framework", "pdu__region"]
    list_select_related = ["pdu__region", "framework"]
    search_fields = ["reference", "pdu__name", "pdu__slug"]
    autocomplete_fields = ["pdu"]
    date_hierarchy = "fieldwork_start"
    # The stages, publishing (with its ratings snapshot) and unlocking (with a reason in the lock
    # log) are workflow steps on the lead's pages, through the services; here they are shown, not
    # edited (the database refuses a publication change without its lock event anyway).
    readonly_fields = ["status", "published_on", "unlocked_at", "created_at", "updated_at"]
    inlines = [TeamMemberInline, JudgementInline, RecommendationInline]

    @admin.display(description="Region", ordering="pdu__region__name")
    def region(self, inspection: Inspection) -> str:
        return str(inspection.pdu.region)

    @admin.display(description="Locked", boolean=True)
    def locked(self, inspection: Inspection) -> bool:
        return inspection.is_locked

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_locked:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Published is kept for good, unlocked or not (the database refuses it too: inspection_published_kept).
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(LockEvent)
class LockEventAdmin(admin.ModelAdmin):
    """The unlock log is evidence: it is written by the unlock workflow and never edited."""

    list_display = ["inspection", "action", "by", "at", "reason"]
    list_filter = ["action"]
    list_select_related = ["inspection", "by"]
    search_fields = ["inspection__reference", "reason"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class InspectionRecordForm(forms.ModelForm):
    """For records added on their own page: refuse a locked inspection with a clear message."""

    def clean(self):
        cleaned = super().clean()
        refuse_locked_inspection(self, cleaned.get("inspection"), "inspection")
        return cleaned


@admin.register(TeamMember)
class TeamMemberAdmin(LockedInspectionMixin, admin.ModelAdmin):
    form = InspectionRecordForm
    list_display = ["user", "role", "inspection"]
    list_filter = ["role", "inspection__status"]
    list_select_related = ["user", "inspection__pdu"]
    search_fields = ["inspection__reference", "user__email"]
    autocomplete_fields = ["inspection", "user"]


class JudgementForm(InspectionRecordForm):
    def clean(self):
        cleaned = super().clean()
        inspection, standard = cleaned.get("inspection"), cleaned.get("standard")
        if inspection is not None and standard is not None:
            if standard.framework_id != inspection.framework_id:
                self.add_error("standard", "Choose a standard of this inspection's framework.")
            elif standard.rated_by != Standard.RatedBy.JUDGEMENT:
                self.add_error("standard", "This standard is rated from the case data, not by judgement.")
        return cleaned


@admin.register(OrganisationalJudgement)
class OrganisationalJudgementAdmin(LockedInspectionMixin, admin.ModelAdmin):
    form = JudgementForm
    list_display = ["inspection", "standard", "rating", "recorded_by", "updated_at"]
    list_filter = ["rating", "standard__code", "inspection__status"]
    list_select_related = ["inspection__pdu", "standard", "recorded_by"]
    search_fields = ["inspection__reference", "rationale"]
    autocomplete_fields = ["inspection", "recorded_by"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "standard":
            kwargs["queryset"] = Standard.objects.filter(rated_by=Standard.RatedBy.JUDGEMENT).select_related(
                "framework"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Recommendation)
class RecommendationAdmin(LockedInspectionMixin, admin.ModelAdmin):
    form = InspectionRecordForm
    list_display = ["inspection", "order", "addressee", "short_text"]
    list_filter = ["addressee", "inspection__pdu__region", "inspection__status"]
    list_select_related = ["inspection__pdu"]
    search_fields = ["inspection__reference", "text"]
    autocomplete_fields = ["inspection"]

    @admin.display(description="Text")
    def short_text(self, recommendation: Recommendation) -> str:
        text = recommendation.text
        return text if len(text) <= 90 else f"{text[:89]}…"


# Regional reviews ------------------------------------------------------------


class RegionalFindingInline(admin.StackedInline):
    model = RegionalFinding
    fields = ["order", "heading", "kind", "text"]
    extra = 0


@admin.register(RegionalReview)
class RegionalReviewAdmin(admin.ModelAdmin):
    list_display = ["__str__", "region", "letter_date", "addressee"]
    list_filter = ["region"]
    list_select_related = ["region"]
    search_fields = ["slug", "region__name", "addressee", "inspections__reference"]
    filter_horizontal = ["inspections"]
    inlines = [RegionalFindingInline]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "inspections":
            kwargs["queryset"] = Inspection.objects.select_related("pdu")
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(RegionalFinding)
class RegionalFindingAdmin(admin.ModelAdmin):
    list_display = ["review", "order", "heading", "kind", "short_text"]
    list_filter = ["heading", "kind", "review__region"]
    list_select_related = ["review__region"]
    search_fields = ["text", "review__slug"]

    @admin.display(description="Text")
    def short_text(self, finding: RegionalFinding) -> str:
        return finding.text if len(finding.text) <= 90 else f"{finding.text[:89]}…"
