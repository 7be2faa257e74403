"""A case review's history as a timeline: one entry per save, each with its changes in words.

Read from the trigger-written history (django-pghistory), so changes made through the
admin, an import or a bulk update appear as well as those made in these pages. A save is
one pghistory context (who and why, set by the service that wrote it); writes made with
no context (SQL, a bulk update) are grouped by their transaction's time. Three queries (the events,
their questions, their people) whatever the number of events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import models
from django.utils.text import capfirst

from accounts.models import User
from inspections.choices import AnswerValue, Progress, progress_of
from inspections.models import Question

from .models import CaseReview


class ChangeKind(models.TextChoices):
    """What a change is about: the timeline's filter."""

    ANSWERS = "answers", "Answers"
    DETAILS = "details", "Case details"
    STATUS = "status", "Status"
    COMMENTS = "comments", "Comments"


NOT_ANSWERED = "Not answered"
NOT_RECORDED = "Not recorded"
REMOVED = "Removed"
ADDED = "Added to the sample"
NO_USER = "No user recorded (a script or database change)"

# Bookkeeping columns that change on every save and say nothing to a reader.
_QUIET_FIELDS = {"version", "updated_at", "updated_by_id", "changed_in_version", "id", "created_at"}
_STATUS_FIELDS = {"status", "archived_at"}


@dataclass(frozen=True)
class TimelineChange:
    kind: str  # a ChangeKind value
    label: str  # "2.2.1" or "Tier"
    text: str  # the question's text, or "" for a case detail
    before: str
    after: str


@dataclass
class TimelineEntry:
    """One save: who, when, why, and what it changed."""

    at: datetime
    by: str
    by_id: int | None
    reasons: list[str] = field(default_factory=list)
    changes: list[TimelineChange] = field(default_factory=list)
    summary: str = ""  # the title of the whole save, kept when a filter hides some of its changes

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    @property
    def kinds(self) -> set[str]:
        return {c.kind for c in self.changes}

    @property
    def answers_changed(self) -> int:
        return len({c.label for c in self.changes if c.kind == ChangeKind.ANSWERS})

    @property
    def title(self) -> str:
        """A line that says what the save did, for the timeline's heading."""
        added = any(c.after == ADDED for c in self.changes)
        parts = ["case added to the sample"] if added else []
        if self.answers_changed:
            n = self.answers_changed
            parts.append(f"{n} answer{'s' if n != 1 else ''} changed")
        for kind, words in (
            (ChangeKind.DETAILS, "case details changed"),
            (ChangeKind.STATUS, "" if added else "status changed"),
            (ChangeKind.COMMENTS, "comments"),
        ):
            if kind in self.kinds and words:
                parts.append(words)
        return capfirst(", ".join(parts)) if parts else "Saved"


@dataclass
class Timeline:
    entries: list[TimelineEntry]
    people: list[tuple[str, str]]  # (user id, name) of everyone in the history, for the filter
    person: str = ""  # the filters applied: a user id among `people`, a ChangeKind value
    kind: str = ""

    @property
    def is_filtering(self) -> bool:
        return bool(self.person or self.kind)


def _answer_label(value) -> str:
    if value in (None, ""):
        return NOT_ANSWERED
    return AnswerValue(value).label if value in AnswerValue.values else str(value)


def _status_label(status) -> str:
    # A case leaves draft only with answers, so a draft in the history was in progress.
    return progress_of(status=status, answered=True).label if status else NOT_RECORDED


def case_review_timeline(review: CaseReview, *, person: str = "", kind: str = "") -> Timeline:
    """The case's saves, newest first, optionally only those by `person` (a user id) or touching `kind`.

    A filter value it does not know (a stale link, a hand-typed URL) is ignored: everything shows.
    """
    from pghistory.models import Events

    events = list(Events.objects.references(review).order_by("-pgh_created_at", "-pgh_id"))
    question_ids = {e.pgh_data.get("question_id") for e in events} - {None}
    questions = {q.pk: q for q in Question.objects.filter(pk__in=question_ids).only("pk", "code", "text")}
    user_ids = {(e.pgh_context or {}).get("user") for e in events}
    for e in events:
        user_ids |= {e.pgh_data.get("inspector_id"), e.pgh_data.get("author_id")}
    users = {u.pk: str(u) for u in User.objects.filter(pk__in=user_ids - {None})}

    concrete = {f.attname: f for f in CaseReview._meta.concrete_fields}

    def detail(name: str, value) -> str:
        if name == "inspector_id":
            return users.get(value, "Not assigned") if value else "Not assigned"
        model_field = concrete.get(name)
        if value in (None, ""):
            return NOT_RECORDED
        if model_field is not None and model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))
        if isinstance(value, bool):
            return "Yes" if value else "No"
        return str(value)

    def detail_label(name: str) -> str:
        return (
            "Inspector"
            if name == "inspector_id"
            else capfirst(concrete[name].verbose_name)
            if name in concrete
            else name
        )

    def question(question_id) -> tuple[str, str]:
        q = questions.get(question_id)
        return (q.code, q.text) if q else ("the whole case", "")

    entries: dict[tuple, TimelineEntry] = {}
    for event in events:
        context = event.pgh_context or {}
        who_id = context.get("user")
        # One save is one pghistory context; writes made with none (SQL, a bulk update) group by transaction.
        key = event.pgh_context_id or event.pgh_created_at
        entry = entries.get(key)
        if entry is None:
            entry = entries[key] = TimelineEntry(at=event.pgh_created_at, by=users.get(who_id) or NO_USER, by_id=who_id)
        reason = (context.get("reason") or "").strip()
        if reason and reason not in entry.reasons:
            entry.reasons.append(reason)
        entry.changes.extend(_changes(event, detail, detail_label, question))

    people = sorted({(str(e.by_id), e.by) for e in entries.values() if e.by_id}, key=lambda p: p[1])
    shown = [e for e in entries.values() if e.changes]
    for e in shown:
        e.summary = e.title
    person = person if person in {pk for pk, _ in people} else ""
    kind = kind if kind in ChangeKind.values else ""
    if person:
        shown = [e for e in shown if str(e.by_id) == person]
    if kind:
        shown = [e for e in shown if kind in e.kinds]
        for e in shown:
            e.changes = [c for c in e.changes if c.kind == kind]
    return Timeline(entries=shown, people=people, person=person, kind=kind)


def _changes(event, detail, detail_label, question) -> list[TimelineChange]:
    data, label, diff = event.pgh_data, event.pgh_label, event.pgh_diff or {}
    if event.pgh_model == "casework.CaseReviewEvent":
        if label == "insert":
            return [TimelineChange(ChangeKind.STATUS, "Case", "", "", ADDED)]
        changes = []
        for name, (before, after) in sorted(diff.items()):
            if name in _QUIET_FIELDS:
                continue
            if name == "status":
                changes.append(
                    TimelineChange(ChangeKind.STATUS, "Status", "", _status_label(before), _status_label(after))
                )
            elif name == "archived_at":
                archived = after is not None
                changes.append(
                    TimelineChange(
                        ChangeKind.STATUS,
                        "Status",
                        "",
                        "In the sample" if archived else Progress.ARCHIVED.label,
                        Progress.ARCHIVED.label if archived else "Back in the sample",
                    )
                )
            else:
                changes.append(
                    TimelineChange(
                        ChangeKind.DETAILS, detail_label(name), "", detail(name, before), detail(name, after)
                    )
                )
        return changes
    if event.pgh_model == "casework.AnswerEvent":
        code, text = question(data.get("question_id"))
        if label == "delete":
            return [TimelineChange(ChangeKind.ANSWERS, code, text, _answer_label(data.get("value")), REMOVED)]
        if label == "insert":
            changes = [TimelineChange(ChangeKind.ANSWERS, code, text, NOT_ANSWERED, _answer_label(data.get("value")))]
            if data.get("note"):
                changes.append(TimelineChange(ChangeKind.ANSWERS, code, "Evidence", "No evidence", data["note"]))
            return changes
        changes = []
        for name, (before, after) in sorted(diff.items()):
            if name == "value":
                changes.append(
                    TimelineChange(ChangeKind.ANSWERS, code, text, _answer_label(before), _answer_label(after))
                )
            elif name == "note":
                changes.append(
                    TimelineChange(
                        ChangeKind.ANSWERS, code, "Evidence", before or "No evidence", after or "No evidence"
                    )
                )
        return changes
    if event.pgh_model == "casework.QACommentEvent":
        code, text = question(data.get("question_id"))
        target = f"Comment on {code}"
        if label == "insert":
            return [TimelineChange(ChangeKind.COMMENTS, target, text, "", data.get("text") or "")]
        if label == "delete":
            return [TimelineChange(ChangeKind.COMMENTS, target, text, data.get("text") or "", REMOVED)]
        changes = []
        if "resolved_at" in diff and diff["resolved_at"][1] is not None:
            changes.append(TimelineChange(ChangeKind.COMMENTS, target, text, "Open", "Resolved"))
        if "reply" in diff and diff["reply"][1]:
            changes.append(TimelineChange(ChangeKind.COMMENTS, f"Reply on {code}", text, "", diff["reply"][1]))
        if "text" in diff:
            changes.append(TimelineChange(ChangeKind.COMMENTS, target, text, diff["text"][0], diff["text"][1]))
        return changes
    return []
