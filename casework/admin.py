"""The casework admin: case reviews, their answers and quality-assurance comments.

The admin is a path like any other: adding a case, changing its details or its
answers, archiving and restoring go through the casework services, with the
administrator as the acting user, so the same rules hold (answers that no longer
apply are removed, not left counting; the version moves on, so a form an
inspector opened before the edit is refused as stale) and the history says who
and why. What a service owns without an admin use (status, version, the case's
inspection and reference, reassigning with a reason) is read-only here. A
service's refusal is an error message, with nothing written.

Case records are never deleted (archive them instead) and are read-only while
their inspection is published and locked, or once archived.
"""

from __future__ import annotations

import pghistory
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import BigIntegerField, OuterRef, QuerySet, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from pghistory.admin import EventModelAdmin

from accounts.models import User
from inspections.admin import refuse_locked_inspection
from inspections.choices import AnswerValue
from inspections.errors import Refused

from . import services
from .models import Answer, AnswerEvent, CaseReview, CaseReviewEvent, QAComment, QACommentEvent

# Kept with each audit event, so the history says the change was made outside the workflow pages.
ADMIN_REASON = "changed in the admin"


def _expected_version(form: forms.Form, review: CaseReview) -> int:
    """The version the administrator's page was loaded at, so a stale admin edit is refused like any other.

    A post without it (a script) takes the version as it is now.
    """
    loaded = form.cleaned_data.get("expected_version")
    return loaded or CaseReview.objects.values_list("version", flat=True).get(pk=review.pk)


def _case_details(form: forms.ModelForm) -> dict:
    return {name: form.cleaned_data[name] for name in CaseReview.ATTRIBUTE_FIELDS if name in form.cleaned_data}


class ServiceRefusalsMixin:
    """A service's refusal becomes an error message on the page, and the whole admin save is rolled back."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            # The admin runs the save in one transaction: an exception leaves nothing written.
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (Refused, ValidationError) as refused:
            message = refused.message if isinstance(refused, Refused) else " ".join(refused.messages)
            self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


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


def _read_only(review: CaseReview) -> bool:
    """What the casework services refuse to change: a case of a locked inspection, or an archived case."""
    return review.inspection.is_locked or review.archived_at is not None


class LockedCaseReviewMixin:
    """Read-only where the services refuse a change, and never deletable: archive a case review instead."""

    def review_of(self, obj) -> CaseReview:
        return obj.case_review

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and _read_only(self.review_of(obj)):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AnswerInline(admin.TabularInline):
    """The review's answers, in framework order. New answers are added on the answer page.

    Editable, not read-only: an administrator correcting an answer next to the case
    details it depends on is the admin's use. The edits are not saved by the formset:
    CaseReviewAdmin.save_related passes them, with any case details changed, to one
    case_review_save, so they are checked and versioned like a save on the pages.
    """

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
        if obj is not None and _read_only(obj):
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
        if obj is not None and _read_only(obj):
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
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        refuse_locked_inspection(self, cleaned.get("inspection"), "inspection")
        # The MAPPA rule (casework.models.mappa_problem) reaches this form through CaseReview.clean.
        return cleaned


@admin.register(CaseReview)
class CaseReviewAdmin(ServiceRefusalsMixin, LockedCaseReviewMixin, admin.ModelAdmin):
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
    # Status moves only through the workflow (submit, return, moderate); the version only with a save.
    readonly_fields = ["status", "version", "created_at", "updated_at", "updated_by", "archived_at", "history"]
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
        (
            "Record",
            {
                "fields": [
                    "expected_version",
                    "version",
                    "created_at",
                    "updated_at",
                    "updated_by",
                    "archived_at",
                    "history",
                ]
            },
        ),
    ]

    def review_of(self, obj: CaseReview) -> CaseReview:
        return obj

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # No service moves a case to another inspection or renames it; reassigning has its own
            # page (casework:reassign), which asks the lead for a reason.
            fields += ["inspection", "case_reference", "inspector"]
        return fields

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
        if change:
            return  # Saved through case_review_save in save_related, with the answer rows, as one version.
        created = services.case_review_create(
            inspection=obj.inspection,
            case_reference=obj.case_reference,
            inspector=obj.inspector,
            by=request.user,
            **_case_details(form),
        )
        obj.pk = created.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change: bool) -> None:
        if not change:
            return super().save_related(request, form, formsets, change)
        review = form.instance
        answers = {}
        for formset in formsets:
            if formset.model is Answer:
                changed = [row for row in formset.forms if row.instance.pk and row.has_changed()]
                answers |= {
                    row.instance.question.code: services.AnswerInput(row.instance.value, row.instance.note)
                    for row in changed
                }
                # What formset.save() would have recorded, for the admin's change message.
                formset.new_objects, formset.deleted_objects = [], []
                formset.changed_objects = [(row.instance, row.changed_data) for row in changed]
            else:
                self.save_formset(request, form, formset, change)
        before = set(review.answers.values_list("question__code", flat=True))
        # The administrator changing a case's type or court report is removing the answers that
        # stop applying: confirmed here, and each removal named in a warning and in the history.
        saved = services.case_review_save(
            review=review,
            by=request.user,
            expected_version=_expected_version(form, review),
            attributes=_case_details(form),
            answers=answers,
            reason=ADMIN_REASON,
            remove_answers_that_no_longer_apply=True,
        )
        removed = sorted(before - set(saved.answers.values_list("question__code", flat=True)))
        if removed:
            self.message_user(
                request,
                f"The answers to {', '.join(removed)} were removed: they are not asked in a case with these details. "
                "The case's history keeps them.",
                messages.WARNING,
            )
        return None

    def _each(self, request, queryset: QuerySet[CaseReview], service, *, done: str) -> None:
        changed, refusals = 0, []
        for review in queryset.select_related("inspection"):
            try:
                service(review=review, by=request.user, reason=f"{done} in the admin")
            except Refused as refused:
                refusals.append(refused.message)
            else:
                changed += 1
        self.message_user(request, f"{changed} case review(s) {done}.", messages.SUCCESS)
        for message in refusals:
            self.message_user(request, f"Left as it was: {message}", messages.ERROR)

    @admin.action(description="Archive selected case reviews", permissions=["change"])
    def archive(self, request, queryset: QuerySet[CaseReview]) -> None:
        self._each(request, queryset, services.case_review_archive, done="archived")

    @admin.action(description="Restore selected archived case reviews", permissions=["change"])
    def restore(self, request, queryset: QuerySet[CaseReview]) -> None:
        self._each(request, queryset, services.case_review_restore, done="restored")


class AnswerAdminForm(AnswerForm):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.case_review.version


@admin.register(Answer)
class AnswerAdmin(ServiceRefusalsMixin, LockedCaseReviewMixin, admin.ModelAdmin):
    """One answer, added or changed through case_review_save like an answer on the section pages."""

    form = AnswerAdminForm
    list_display = ["case_review", "question_code", "value", "changed_in_version", "updated_by", "updated_at"]
    list_filter = ["value", "question__kind", "question__framework", "case_review__inspection__status"]
    list_select_related = ["case_review__inspection", "question", "updated_by"]
    search_fields = ["case_review__case_reference", "case_review__inspection__reference", "question__code"]
    # A national sample holds tens of thousands of reviews: pick one by searching, never from a full list.
    autocomplete_fields = ["case_review", "question"]
    readonly_fields = ["changed_in_version", "updated_by", "updated_at"]
    fields = ["case_review", "question", "value", "note", "expected_version", *readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["case_review", "question"]  # an answer is to one question of one case
        return fields

    @admin.display(description="Question", ordering="question__order")
    def question_code(self, answer: Answer) -> str:
        return answer.question.code

    def save_model(self, request, obj: Answer, form, change: bool) -> None:
        if change and not form.has_changed():
            return  # Saving an unchanged row would only add an empty audit event.
        review = obj.case_review
        services.case_review_save(
            review=review,
            by=request.user,
            expected_version=_expected_version(form, review),
            answers={obj.question.code: services.AnswerInput(obj.value, obj.note)},
            reason=ADMIN_REASON,
        )
        obj.pk = Answer.objects.values_list("pk", flat=True).get(case_review=review, question=obj.question)
        obj.refresh_from_db()


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
