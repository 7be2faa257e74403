"""The casework admin: case reviews, their answers and quality-assurance comments.

Case records are never deleted (archive them instead) and are read-only while
their inspection is published and locked. Every admin edit that changes a case
review or an answer moves the review's version on, so a form an inspector opened
before the edit is refused as stale rather than silently overwriting it.
"""

from __future__ import annotations

import pghistory
from django import forms
from django.contrib import admin, messages
from django.db.models import BigIntegerField, F, OuterRef, QuerySet, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from pghistory.admin import EventModelAdmin

from accounts.models import User
from inspections.admin import refuse_locked_inspection
from inspections.choices import AnswerValue

from .models import Answer, AnswerEvent, CaseReview, CaseReviewEvent, QAComment, QACommentEvent

# Kept with each audit event, so the history says the change was made outside the workflow pages.
ADMIN_REASON = "changed in the admin"


def _next_version(review: CaseReview) -> int:
    """The version an admin edit saves as, read under a row lock held until the admin's transaction ends."""
    return CaseReview.objects.select_for_update().values_list("version", flat=True).get(pk=review.pk) + 1


def _check_answer(form: forms.ModelForm, *, review: CaseReview | None, question) -> None:
    """The rules the database triggers enforce, as form errors instead of a server error."""
    if review is None or question is None:
        return
    refuse_locked_inspection(form, review.inspection, "case_review" if "case_review" in form.fields else None)
    if question.framework_id != review.inspection.framework_id:
        form.add_error(
            "question" if "question" in form.fields else None,
            f"Question {question.code} is not part of {review.inspection.reference}'s framework.",
        )
    elif form.cleaned_data.get("value") == AnswerValue.NOT_APPLICABLE and not question.allows_not_applicable:
        form.add_error(
            "value",
            f"Question {question.code} is asked in every case, so “Not applicable” is not allowed: answer Yes or No.",
        )


class AnswerForm(forms.ModelForm):
    class Meta:
        model = Answer
        fields = ["case_review", "question", "value", "note"]

    def clean(self):
        cleaned = super().clean()
        review = cleaned.get("case_review") or (self.instance.case_review if self.instance.case_review_id else None)
        question = cleaned.get("question") or (self.instance.question if self.instance.question_id else None)
        _check_answer(self, review=review, question=question)
        return cleaned


class LockedCaseReviewMixin:
    """Read-only, and never deletable: archive a case review instead of deleting its record."""

    def review_of(self, obj) -> CaseReview:
        return obj.case_review

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and self.review_of(obj).inspection.is_locked:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AnswerInline(admin.TabularInline):
    """The review's answers, in framework order. New answers are added on the answer page."""

    model = Answer
    form = AnswerForm
    fields = ["question", "value", "note", "changed_in_version", "updated_by", "updated_at"]
    readonly_fields = ["question", "changed_in_version", "updated_by", "updated_at"]
    can_delete = False
    extra = 0

    def get_queryset(self, request):
        # One query for all rows: each row shows its question, who last changed it, and
        # its own name, which spells out the case review and the inspection.
        return super().get_queryset(request).select_related("case_review__inspection", "question", "updated_by")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.inspection.is_locked:
            return False
        return super().has_change_permission(request, obj)


class QACommentInline(admin.StackedInline):
    model = QAComment
    fields = ["question", "text", "author", "created_at", "resolved_at"]
    readonly_fields = ["question", "text", "author", "created_at"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("case_review__inspection", "question", "author")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.inspection.is_locked:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ArchivedFilter(admin.SimpleListFilter):
    title = "archived"
    parameter_name = "archived"

    def lookups(self, request, model_admin):
        return [("no", "Current"), ("yes", "Archived")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(archived_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(archived_at__isnull=False)
        return queryset


class CaseReviewForm(forms.ModelForm):
    # No Meta: the admin builds it from the model and the fieldsets below.
    def clean(self):
        cleaned = super().clean()
        refuse_locked_inspection(self, cleaned.get("inspection"), "inspection")
        # The MAPPA rule (casework.models.mappa_problem) reaches this form through CaseReview.clean.
        return cleaned


@admin.register(CaseReview)
class CaseReviewAdmin(LockedCaseReviewMixin, admin.ModelAdmin):
    form = CaseReviewForm
    list_display = ["__str__", "case_type", "court_report", "status", "inspector", "version", "updated_at", "archived"]
    list_filter = [
        "status",
        "case_type",
        "court_report",
        "rosh_level",
        ArchivedFilter,
        "inspection__status",
        "inspection__pdu__region",
    ]
    list_select_related = ["inspection", "inspector"]
    # Case references and inspection references are the only identifiers: nobody on probation has a name here.
    search_fields = ["case_reference", "inspection__reference"]
    autocomplete_fields = ["inspection", "inspector"]
    readonly_fields = ["version", "created_at", "updated_at", "updated_by", "archived_at", "history"]
    actions = ["archive", "restore"]
    inlines = [AnswerInline, QACommentInline]
    fieldsets = [
        (None, {"fields": ["inspection", "case_reference", "case_type", "court_report", "inspector", "status"]}),
        (
            "Case",
            {
                "fields": [
                    "tier",
                    "rosh_level",
                    ("mappa_category", "mappa_level"),
                    "domestic_abuse",
                    "child_safeguarding",
                ]
            },
        ),
        (
            "Practitioner",
            {"fields": ["practitioner_grade", "practitioner_months_in_service", "same_practitioner"]},
        ),
        ("Person on probation", {"fields": ["gender", "ethnicity_group", "age_band", "disability"]}),
        ("Record", {"fields": ["version", "created_at", "updated_at", "updated_by", "archived_at", "history"]}),
    ]

    def review_of(self, obj: CaseReview) -> CaseReview:
        return obj

    @admin.display(description="Archived", boolean=True)
    def archived(self, review: CaseReview) -> bool:
        return review.archived_at is not None

    @admin.display(description="Audit history")
    def history(self, review: CaseReview) -> str:
        if review.pk is None:
            return "—"
        return format_html(
            '<a href="{}?obj=casework.CaseReview:{}">Changes to the case</a> · '
            '<a href="{}?case_review={}">Changes to its answers</a>',
            reverse("admin:casework_casereviewevent_changelist"),
            review.pk,
            reverse("admin:casework_answerevent_changelist"),
            review.pk,
        )

    def save_model(self, request, obj: CaseReview, form, change: bool) -> None:
        if change and not form.has_changed():
            return  # Saving an unchanged row would only add an empty audit event.
        if change:
            obj.version = _next_version(obj)
            obj._version_moved = True
        obj.updated_by = request.user
        with pghistory.context(reason=ADMIN_REASON):
            super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change: bool) -> None:
        if formset.model is not Answer:
            return super().save_formset(request, form, formset, change)
        answers = formset.save(commit=False)
        if not answers:
            return None
        review = form.instance
        with pghistory.context(reason=ADMIN_REASON):
            # One new version per admin save, whether the case details, the answers or both changed.
            if not getattr(review, "_version_moved", False):
                review.version = _next_version(review)
                review.updated_by = request.user
                review.save(update_fields=["version", "updated_by", "updated_at"])
            for answer in answers:
                answer.changed_in_version = review.version
                answer.updated_by = request.user
                answer.save()
        return None

    def _write(self, request, queryset: QuerySet[CaseReview], *, archived_at, done: str) -> None:
        # Locked inspections refuse every write in the database; leave their reviews out and say so.
        locked = queryset.filter(inspection__status="published", inspection__unlocked_at__isnull=True)
        skipped = locked.count()
        with pghistory.context(reason=f"{done} in the admin"):
            changed = (
                queryset.exclude(pk__in=locked.values("pk"))
                .exclude(archived_at__isnull=archived_at is None)
                .update(
                    archived_at=archived_at,
                    updated_by=request.user,
                    updated_at=timezone.now(),
                    version=F("version") + 1,
                )
            )
        self.message_user(request, f"{changed} case review(s) {done}.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} case review(s) left as they were: their inspection is published and locked.",
                messages.WARNING,
            )

    @admin.action(description="Archive selected case reviews", permissions=["change"])
    def archive(self, request, queryset: QuerySet[CaseReview]) -> None:
        self._write(request, queryset, archived_at=timezone.now(), done="archived")

    @admin.action(description="Restore selected archived case reviews", permissions=["change"])
    def restore(self, request, queryset: QuerySet[CaseReview]) -> None:
        self._write(request, queryset, archived_at=None, done="restored")


@admin.register(Answer)
class AnswerAdmin(LockedCaseReviewMixin, admin.ModelAdmin):
    form = AnswerForm
    list_display = ["case_review", "question_code", "value", "changed_in_version", "updated_by", "updated_at"]
    list_filter = ["value", "question__kind", "question__framework", "case_review__inspection__status"]
    list_select_related = ["case_review__inspection", "question", "updated_by"]
    search_fields = ["case_review__case_reference", "case_review__inspection__reference", "question__code"]
    # A national sample holds tens of thousands of reviews: pick one by searching, never from a full list.
    autocomplete_fields = ["case_review", "question"]
    readonly_fields = ["changed_in_version", "updated_by", "updated_at"]

    @admin.display(description="Question", ordering="question__order")
    def question_code(self, answer: Answer) -> str:
        return answer.question.code

    def save_model(self, request, obj: Answer, form, change: bool) -> None:
        if change and not form.has_changed():
            return  # Saving an unchanged row would only add an empty audit event.
        review = obj.case_review
        with pghistory.context(reason=ADMIN_REASON):
            review.version = _next_version(review)
            review.updated_by = request.user
            review.save(update_fields=["version", "updated_by", "updated_at"])
            obj.changed_in_version = review.version
            obj.updated_by = request.user
            super().save_model(request, obj, form, change)


class QACommentForm(forms.ModelForm):
    class Meta:
        model = QAComment
        fields = ["case_review", "question", "text", "resolved_at"]

    def clean(self):
        cleaned = super().clean()
        review = cleaned.get("case_review") or (self.instance.case_review if self.instance.case_review_id else None)
        question = cleaned.get("question")
        if review is not None:
            refuse_locked_inspection(self, review.inspection, "case_review")
            if question is not None and question.framework_id != review.inspection.framework_id:
                self.add_error("question", f"Question {question.code} is not part of this case's framework.")
        return cleaned


@admin.register(QAComment)
class QACommentAdmin(LockedCaseReviewMixin, admin.ModelAdmin):
    form = QACommentForm
    list_display = ["case_review", "question", "author", "created_at", "resolved_at"]
    list_filter = ["case_review__inspection__status", ("resolved_at", admin.EmptyFieldListFilter)]
    list_select_related = ["case_review__inspection", "question", "author"]
    search_fields = ["case_review__case_reference", "case_review__inspection__reference", "text"]
    autocomplete_fields = ["case_review", "question"]
    readonly_fields = ["author", "created_at"]

    def save_model(self, request, obj: QAComment, form, change: bool) -> None:
        if not change:
            obj.author = request.user
        with pghistory.context(reason=ADMIN_REASON):
            super().save_model(request, obj, form, change)


# The audit trail, read-only (pghistory's admin refuses add, change and delete) -------------


class AuditEventAdmin(EventModelAdmin):
    """One event model's rows, with the person whose request made each change."""

    list_select_related: list[str] = []
    list_display = ["pgh_created_at", "pgh_label", "pgh_obj_id", "changed_by", "url"]
    date_hierarchy = "pgh_created_at"

    def get_queryset(self, request):
        # The request's user id is in the context's JSON; resolve it to an email in the same query.
        return (
            super()
            .get_queryset(request)
            # The change list skips list_select_related once a queryset has any, so name them all here.
            .select_related("pgh_context", *self.list_select_related)
            .annotate(changed_by_id=Cast(KeyTextTransform("user", "pgh_context__metadata"), BigIntegerField()))
            .annotate(changed_by_email=Subquery(User.objects.filter(pk=OuterRef("changed_by_id")).values("email")[:1]))
        )

    @admin.display(description="Changed by")
    def changed_by(self, event) -> str:
        return event.changed_by_email or "— (no signed-in user: a command, import or script)"

    @admin.display(description="Page")
    def url(self, event) -> str:
        return (event.pgh_context.metadata.get("url") if event.pgh_context_id else "") or "—"


@admin.register(CaseReviewEvent)
class CaseReviewEventAdmin(AuditEventAdmin):
    list_display = ["pgh_created_at", "pgh_label", "pgh_obj", "status", "inspector_id", "version", "changed_by"]
    list_select_related = ["pgh_obj__inspection"]
    search_fields = ["case_reference", "pgh_obj__inspection__reference"]


@admin.register(AnswerEvent)
class AnswerEventAdmin(AuditEventAdmin):
    list_display = ["pgh_created_at", "pgh_label", "case_review", "question", "value", "changed_by"]
    list_select_related = ["case_review__inspection", "question"]
    search_fields = ["case_review__case_reference", "case_review__inspection__reference", "question__code"]


@admin.register(QACommentEvent)
class QACommentEventAdmin(AuditEventAdmin):
    list_display = ["pgh_created_at", "pgh_label", "case_review", "question", "author", "resolved_at", "changed_by"]
    list_select_related = ["case_review__inspection", "question", "author"]
