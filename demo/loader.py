"""Load the South West 2023 demo: `demo_load()` is the one write path, `load_demo` its command.

Every record is found by its natural key (slugs, emails, inspection and case references,
question codes, positions in the letter). What is missing is created; what exists is left as
it is, because `make run` loads the demo on every start and must not undo what people did in
the browser. `restore=True` puts the demo's values back where they differ. Either way a row
that already matches is never written, so a second run writes nothing and the audit history
gains no events.

New inspections are built at the ratings panel stage and then published through
`ratings.services.inspection_publish`, as a lead inspector would, so each has its published
ratings snapshot. Restoring case data in a published inspection unlocks and relocks it, both
logged as lock events, as the house rules require of any correction.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

import pghistory
from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from casework.models import Answer, CaseReview
from inspections.locking import inspection_relock, inspection_unlock
from inspections.models import (
    Framework,
    Inspection,
    OrganisationalJudgement,
    Question,
    Recommendation,
    RegionalFinding,
    RegionalReview,
    Standard,
    TeamMember,
)
from ratings.models import RatingsSnapshot
from ratings.services import inspection_publish, ratings_snapshot_take
from regions.models import PDU, Region

from . import plan as demo_plan
from .double_marking import load_double_marking
from .fieldwork import load_fieldwork_inspection
from .history_dates import date_demo_history, may_date_history
from .sample import CaseSpec, QuestionSpec, generate
from .trackers import load_trackers


class DemoNotAllowed(Exception):
    """The demo's shared, published password must never reach a production database."""


@dataclass
class DemoSummary:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    kept: Counter = field(default_factory=Counter)  # rows that differ from the demo, left as they are
    totals: dict[str, int] = field(default_factory=dict)
    # History rows moved to the inspections' own 2023 dates (demo/history_dates.py); None when the
    # connection may not change history (the application role), so they keep today's date.
    history_dated: int | None = 0

    @property
    def changed(self) -> bool:
        return bool(+self.created or +self.updated)

    @property
    def writes(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())


class _LockGate:
    """Unlocks a published, locked inspection just before the first write into it, and relocks it after.

    Both through `inspections.locking`, so each is logged with its reason. Only a run that
    has something to write opens it: a run with nothing to change leaves no lock events.
    """

    REASON = "load_demo --restore: putting the South West 2023 demo data back"

    def __init__(self, inspection: Inspection | None, by: User | None):
        self.inspection, self.by, self.opened = inspection, by, False

    def before_write(self) -> None:
        if self.inspection is None or self.opened or not self.inspection.is_locked:
            return
        self.inspection = inspection_unlock(inspection=self.inspection, by=self.by, reason=self.REASON)
        self.opened = True

    def close(self) -> None:
        if self.opened:
            self.inspection = inspection_relock(inspection=self.inspection, by=self.by, reason=self.REASON)


NO_GATE = _LockGate(None, None)


def _differs(obj: models.Model, attribute: str, value: object) -> bool:
    model_field = obj._meta.get_field(attribute)
    if model_field.is_relation:
        # Compare keys, so that checking a foreign key never fetches the related row.
        return getattr(obj, model_field.attname) != (value.pk if value is not None else None)
    return getattr(obj, attribute) != value


def _sync(
    model: type[models.Model],
    summary: DemoSummary,
    *,
    lookup: dict,
    values: dict,
    restore: bool,
    gate: _LockGate = NO_GATE,
) -> models.Model:
    """Create the row if missing; if it differs, update the differing fields only when restoring."""
    plural = str(model._meta.verbose_name_plural)
    label = plural[0].upper() + plural[1:]
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        gate.before_write()
        summary.created[label] += 1
        return model.objects.create(**lookup, **values)
    changed = [attribute for attribute, value in values.items() if _differs(obj, attribute, value)]
    if changed and not restore:
        summary.kept[label] += 1
    elif changed:
        gate.before_write()
        for attribute in changed:
            setattr(obj, attribute, values[attribute])
        auto_now = [f.name for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
        obj.save(update_fields=changed + auto_now)
        summary.updated[label] += 1
    return obj


def _sync_user(spec: demo_plan.AccountSpec, regions: dict[str, Region], summary: DemoSummary, restore: bool) -> User:
    existed = User.objects.filter(email=spec.email).exists()
    user = _sync(
        User,
        summary,
        lookup={"email": spec.email},
        values={
            "first_name": spec.first_name,
            "last_name": spec.last_name,
            "role": spec.role,
            "region": regions[spec.region] if spec.region else None,
            "is_staff": spec.is_staff,
            "is_superuser": spec.is_superuser,
            "is_active": True,
        },
        restore=restore,
    )
    # Hashing is slow on purpose: an existing password is checked only when restoring.
    if (not existed or restore) and not user.check_password(settings.DEMO_PASSWORD):
        user.set_password(settings.DEMO_PASSWORD)
        user.save(update_fields=["password"])
        if existed:
            summary.updated["Passwords"] += 1
    return user


def _question_specs(framework: Framework) -> tuple[list[QuestionSpec], dict[str, int]]:
    """The questions answered per case, as plain records for the generator, and their ids by code.

    The same set as `casework.review_selectors.applicable_questions` before its per-case filter: the
    case-data standards' key questions and prompts, and the case-wide prompts. The generator
    applies each question's case-type and court-report rule itself.
    """
    questions = list(
        Question.objects.filter(
            Q(standard__rated_by=Standard.RatedBy.CASE_DATA) | Q(standard__isnull=True), framework=framework
        )
        .select_related("parent")
        .order_by("order")
    )
    specs = [
        QuestionSpec(
            code=q.code,
            kind=q.kind,
            parent=q.parent.code if q.parent else None,
            lens=q.lens or "",
            allows_not_applicable=q.allows_not_applicable,
            case_types=tuple(q.case_types),
            requires_court_report=q.requires_court_report,
        )
        for q in questions
    ]
    return specs, {q.code: q.id for q in questions}


def _load_case_reviews(
    *,
    inspection: Inspection,
    cases: list[CaseSpec],
    question_ids: dict[str, int],
    inspector: User,
    summary: DemoSummary,
    restore: bool,
    gate: _LockGate,
) -> None:
    existing = {r.case_reference: r for r in CaseReview.objects.filter(inspection=inspection)}
    to_create, to_update, update_fields = [], [], set()
    for case in cases:
        values = {**case.attributes, "inspector_id": inspector.id, "status": CaseReview.Status.MODERATED}
        review = existing.get(case.case_reference)
        if review is None:
            to_create.append(
                CaseReview(inspection=inspection, case_reference=case.case_reference, updated_by=inspector, **values)
            )
            continue
        changed = [name for name, value in values.items() if getattr(review, name) != value]
        if changed and not restore:
            summary.kept["Case reviews"] += 1
        elif changed:
            for name in changed:
                setattr(review, name, values[name])
            review.version += 1  # a restore is an edit like any other: a form opened before it is stale
            update_fields.update(changed)
            to_update.append(review)

    answers = {
        (a.case_review_id, a.question_id): a
        for a in Answer.objects.filter(case_review__inspection=inspection).only(
            "id", "case_review_id", "question_id", "value", "note"
        )
    }
    new_answers, changed_answers = [], []
    for case in cases:
        review = existing.get(case.case_reference)
        for code, (value, note) in case.answers.items():
            answer = answers.get((review.id, question_ids[code])) if review else None
            if answer is None:
                new_answers.append((case.case_reference, question_ids[code], value, note))
            elif (answer.value, answer.note) == (value, note):
                continue
            elif restore:
                answer.value, answer.note = value, note
                changed_answers.append(answer)
            else:
                summary.kept["Answers"] += 1

    if to_create or to_update or new_answers or changed_answers:
        gate.before_write()
    for review in CaseReview.objects.bulk_create(to_create):
        existing[review.case_reference] = review
    now = timezone.now()
    if to_update:
        for review in to_update:
            review.updated_at = now
        CaseReview.objects.bulk_update(to_update, [*sorted(update_fields), "version", "updated_at"])
    Answer.objects.bulk_create(
        [
            Answer(
                case_review=existing[reference], question_id=question_id, value=value, note=note, updated_by=inspector
            )
            for reference, question_id, value, note in new_answers
        ],
        batch_size=2000,
    )
    for answer in changed_answers:
        answer.updated_at = now
    Answer.objects.bulk_update(changed_answers, ["value", "note", "updated_at"], batch_size=2000)
    summary.created["Case reviews"] += len(to_create)
    summary.updated["Case reviews"] += len(to_update)
    summary.created["Answers"] += len(new_answers)
    summary.updated["Answers"] += len(changed_answers)


def _load_inspection(
    spec: demo_plan.InspectionPlan,
    *,
    pdus: dict[str, PDU],
    framework: Framework,
    users: dict[str, User],
    questions: tuple[list[QuestionSpec], dict[str, int]],
    letter: dict,
    summary: DemoSummary,
    restore: bool,
) -> Inspection:
    inspector, lead = users[demo_plan.INSPECTOR_EMAIL], users[demo_plan.LEAD_EMAIL]
    # Each step has its own history context, never one around the whole load: a nested context
    # merges its reason into the outer one, and every row of the load would read the last reason given.
    with pghistory.context(source="load_demo", reason=f"{spec.reference}: case data as the letter reports them"):
        inspection = Inspection.objects.filter(reference=spec.reference).first()
        created = inspection is None
        identity = {"pdu": pdus[spec.pdu], "framework": framework, "fieldwork_start": spec.fieldwork_start}
        # A new inspection is built at the ratings panel and published once its case data are in.
        inspection = _sync(
            Inspection,
            summary,
            lookup={"reference": spec.reference},
            values={**identity, "status": Inspection.Status.RATINGS_PANEL} if created else identity,
            restore=restore,
        )
        gate = _LockGate(inspection, lead)
        writes_before = summary.writes
        for user, role in ((lead, TeamMember.Role.LEAD_INSPECTOR), (inspector, TeamMember.Role.INSPECTOR)):
            _sync(
                TeamMember,
                summary,
                lookup={"inspection": inspection, "user": user},
                values={"role": role},
                restore=restore,
                gate=gate,
            )
        standards = {s.code: s for s in framework.standards.all()}
        for code, judgement in letter["judgements"][spec.reference].items():
            _sync(
                OrganisationalJudgement,
                summary,
                lookup={"inspection": inspection, "standard": standards[code]},
                values={"rating": judgement["rating"], "rationale": judgement["rationale"], "recorded_by": lead},
                restore=restore,
                gate=gate,
            )
        for order, recommendation in enumerate(letter["recommendations"][spec.reference], start=1):
            _sync(
                Recommendation,
                summary,
                lookup={"inspection": inspection, "order": order},
                values={"addressee": recommendation["addressee"], "text": recommendation["text"]},
                restore=restore,
                gate=gate,
            )
        specs, question_ids = questions
        _load_case_reviews(
            inspection=inspection,
            cases=generate(spec, specs),
            question_ids=question_ids,
            inspector=inspector,
            summary=summary,
            restore=restore,
            gate=gate,
        )
    load_double_marking(inspection=inspection, second_inspector=lead, summary=summary, gate=gate)
    with pghistory.context(source="load_demo", reason=f"{spec.reference}: published as the letter reports it"):
        if restore and inspection.is_published and inspection.published_on != demo_plan.PUBLISHED_ON:
            # Publication columns move only with a lock event in the same transaction: through the gate.
            gate.before_write()
            Inspection.objects.filter(pk=inspection.pk).update(published_on=demo_plan.PUBLISHED_ON)
            inspection.published_on = demo_plan.PUBLISHED_ON
            summary.updated["Inspections"] += 1
        gate.close()

        if inspection.status != Inspection.Status.PUBLISHED and (created or restore):
            if inspection.status != Inspection.Status.RATINGS_PANEL:
                inspection.status = Inspection.Status.RATINGS_PANEL
                inspection.save(update_fields=["status", "updated_at"])
            inspection_publish(
                inspection=inspection, by=lead, published_on=demo_plan.PUBLISHED_ON, at=demo_plan.PUBLISHED_AT
            )
            summary.created["Ratings snapshots"] += 1
        elif inspection.is_published and summary.writes != writes_before:
            # Corrected after publication: the published ratings are read from a new snapshot.
            ratings_snapshot_take(inspection=inspection, kind=RatingsSnapshot.Kind.PUBLISHED, by=lead)
            summary.created["Ratings snapshots"] += 1
    return inspection


@transaction.atomic
def demo_load(*, restore: bool = False) -> DemoSummary:
    """Load the South West 2023 demo, or with `restore` put its values back. All or nothing."""
    if not settings.DEMO_LOGINS_ALLOWED:
        raise DemoNotAllowed(
            "The demo is refused under these settings (DEMO_LOGINS_ALLOWED is False): its accounts share a "
            "published password and must never exist in production."
        )
    summary = DemoSummary()
    # One history context per step, never nested: see _load_inspection.
    with pghistory.context(source="load_demo", reason="the demo's places and accounts"):
        regions, pdus = {}, {}
        for region_spec in demo_plan.REGIONS:
            region = _sync(
                Region, summary, lookup={"slug": region_spec.slug}, values={"name": region_spec.name}, restore=restore
            )
            regions[region.slug] = region
            for slug, name in region_spec.pdus:
                pdus[slug] = _sync(
                    PDU, summary, lookup={"slug": slug}, values={"name": name, "region": region}, restore=restore
                )
        users = {spec.email: _sync_user(spec, regions, summary, restore) for spec in demo_plan.ACCOUNTS}

    framework = Framework.objects.get(code=demo_plan.FRAMEWORK_CODE)
    questions = _question_specs(framework)
    letter = demo_plan.letter()
    inspections = [
        _load_inspection(
            spec,
            pdus=pdus,
            framework=framework,
            users=users,
            questions=questions,
            letter=letter,
            summary=summary,
            restore=restore,
        )
        for spec in demo_plan.INSPECTIONS
    ]

    with pghistory.context(source="load_demo"):  # its services give each write its own reason
        load_fieldwork_inspection(pdus=pdus, framework=framework, users=users, summary=summary)
    load_trackers(summary=summary)  # the South West's action plan: demo/trackers.py

    with pghistory.context(source="load_demo", reason="the South West regional letter of 24 August 2023"):
        review_data = letter["review"]
        review = _sync(
            RegionalReview,
            summary,
            lookup={"slug": review_data["slug"]},
            values={
                "region": regions["south-west"],
                "letter_date": datetime.date.fromisoformat(review_data["letter_date"]),
                "addressee": review_data["addressee"],
                "summary": review_data["summary"],
                **{name: review_data.get(name, "") for name in ("greeting", "copy_to", "signatory", "introduction")},
            },
            restore=restore,
        )
        unlinked = [i for i in inspections if i.pk not in set(review.inspections.values_list("pk", flat=True))]
        if unlinked:
            review.inspections.add(*unlinked)
            summary.created["Links from the regional review to its inspections"] += len(unlinked)
        for order, finding in enumerate(letter["findings"], start=1):
            _sync(
                RegionalFinding,
                summary,
                lookup={"review": review, "order": order},
                values={"heading": finding["heading"], "kind": finding["kind"], "text": finding["text"]},
                restore=restore,
            )

    summary.history_dated = (
        date_demo_history(inspection_ids=[i.pk for i in inspections]) if may_date_history() else None
    )
    references = [spec.reference for spec in demo_plan.INSPECTIONS]
    summary.totals = {
        "regions": Region.objects.filter(slug__in=regions).count(),
        "PDUs": PDU.objects.filter(slug__in=pdus).count(),  # the demo's own, not --national's synthetic ones
        "inspections": Inspection.objects.filter(reference__in=references).count(),
        "case reviews": CaseReview.objects.filter(inspection__reference__in=references).count(),
        "answers": Answer.objects.filter(case_review__inspection__reference__in=references).count(),
        "recommendations": Recommendation.objects.filter(inspection__reference__in=references).count(),
        "regional findings": RegionalFinding.objects.filter(review=review).count(),
        "demo accounts": User.objects.filter(email__in=users).count(),
    }
    return summary
