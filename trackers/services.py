"""Writing the action plan: the region's response, its actions and progress, and the inspectorate's follow-up.

The region's director keeps the plan; inspectors on the team (and administrators) judge it at
follow-up and close it. Each write is one transaction with a history reason. Field problems are
`ValidationError`s (form errors); anything else refused is `inspections.errors.Refused`.
"""

from __future__ import annotations

import datetime

import pghistory
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from inspections.errors import Refused
from inspections.models import Recommendation, Standard

from .access import can_follow_up, can_maintain
from .models import Action, ProgressNote, RecommendationResponse


def _label(recommendation: Recommendation) -> str:
    return f"{recommendation.inspection.reference} recommendation {recommendation.order}"


def _require_director(recommendation: Recommendation, by: User) -> None:
    if not can_maintain(by, recommendation.inspection):
        raise Refused(
            f"Only the regional director of {recommendation.inspection.pdu.region} keeps its action plan.",
            code="not_allowed",
        )


def _response_for_update(recommendation: Recommendation) -> RecommendationResponse:
    """The recommendation's response row, created if missing, locked for this transaction."""
    RecommendationResponse.objects.get_or_create(recommendation=recommendation)
    return RecommendationResponse.objects.select_for_update().get(recommendation=recommendation)


def _require_open(response: RecommendationResponse, recommendation: Recommendation) -> None:
    if response.is_closed:
        raise Refused(f"{_label(recommendation)} was closed at follow-up: its action plan is final.", code="closed")


def response_record(
    *,
    recommendation: Recommendation,
    answer: str,
    narrative: str,
    standard: Standard | None = None,
    by: User,
) -> RecommendationResponse:
    """The region's response: agreed, partly agreed or not agreed, with its narrative."""
    _require_director(recommendation, by)
    errors: dict[str, list[str]] = {}
    narrative = (narrative or "").strip()
    if answer not in RecommendationResponse.Answer.values:
        errors["answer"] = ["Choose whether the region agrees: agreed, partly agreed or not agreed"]
    if not narrative:
        errors["narrative"] = ["Say how the region will respond to the recommendation"]
    if standard is not None and standard.framework_id != recommendation.inspection.framework_id:
        errors["standard"] = [f"Standard {standard.code} is not part of the inspection's framework"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), pghistory.context(user=by.pk, reason=f"{_label(recommendation)}: response recorded"):
        response = _response_for_update(recommendation)
        _require_open(response, recommendation)
        response.answer, response.narrative, response.standard = answer, narrative, standard
        response.responded_by, response.responded_at = by, timezone.now()
        response.save()
    return response


def _action_errors(
    *, description: str, owner_name: str, owner_email: str, due_date: datetime.date | None, status: str, rag: str
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not description.strip():
        errors["description"] = ["Describe the action: what will be done, by whom and by when"]
    if not owner_name.strip():
        errors["owner_name"] = ["Enter the name of the action's owner"]
    try:
        validate_email(owner_email)
    except ValidationError:
        errors["owner_email"] = ["Enter the owner's email address, like name@example.com"]
    if due_date is None:
        errors["due_date"] = ["Enter the date the action is due"]
    if status not in Action.Status.values:
        errors["status"] = ["Choose the action's status"]
    if rag not in Action.Rag.values:
        errors["rag"] = ["Choose a RAG rating: red, amber or green"]
    return errors


def action_create(
    *,
    recommendation: Recommendation,
    description: str,
    owner_name: str,
    owner_email: str,
    due_date: datetime.date | None,
    rag: str = Action.Rag.GREEN,
    status: str = Action.Status.NOT_STARTED,
    by: User,
) -> Action:
    _require_director(recommendation, by)
    errors = _action_errors(
        description=description,
        owner_name=owner_name,
        owner_email=owner_email,
        due_date=due_date,
        status=status,
        rag=rag,
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), pghistory.context(user=by.pk, reason=f"{_label(recommendation)}: action added"):
        response = _response_for_update(recommendation)
        _require_open(response, recommendation)
        number = (response.actions.aggregate(n=Max("number"))["n"] or 0) + 1
        return Action.objects.create(
            response=response,
            number=number,
            description=description.strip(),
            owner_name=owner_name.strip(),
            owner_email=owner_email.strip(),
            due_date=due_date,
            status=status,
            rag=rag,
        )


def action_update(
    *,
    action: Action,
    by: User,
    status: str | None = None,
    rag: str | None = None,
    description: str | None = None,
    owner_name: str | None = None,
    owner_email: str | None = None,
    due_date: datetime.date | None = None,
) -> Action:
    """Change an action: its status and RAG rating as it goes, or its terms. Fields left None keep their value."""
    recommendation = action.response.recommendation
    _require_director(recommendation, by)
    values = {
        "status": status if status is not None else action.status,
        "rag": rag if rag is not None else action.rag,
        "description": description if description is not None else action.description,
        "owner_name": owner_name if owner_name is not None else action.owner_name,
        "owner_email": owner_email if owner_email is not None else action.owner_email,
        "due_date": due_date if due_date is not None else action.due_date,
    }
    errors = _action_errors(**values)
    if errors:
        raise ValidationError(errors)
    reason = f"{_label(recommendation)}: action {action.number} updated"
    with transaction.atomic(), pghistory.context(user=by.pk, reason=reason):
        response = _response_for_update(recommendation)
        _require_open(response, recommendation)
        current = Action.objects.select_for_update().get(pk=action.pk)
        changed = [name for name, value in values.items() if getattr(current, name) != value]
        for name in changed:
            setattr(current, name, values[name])
        if changed:
            current.save(update_fields=[*changed, "updated_at"])
    return current


def progress_note_add(
    *, action: Action, date: datetime.date | None, text: str, evidence_url: str = "", by: User
) -> ProgressNote:
    recommendation = action.response.recommendation
    _require_director(recommendation, by)
    errors: dict[str, list[str]] = {}
    text, evidence_url = (text or "").strip(), (evidence_url or "").strip()
    if date is None:
        errors["date"] = ["Enter the date of the progress"]
    elif date > timezone.localdate():
        errors["date"] = ["The date of the progress must be today or in the past"]
    if not text:
        errors["text"] = ["Describe the progress made"]
    if evidence_url:
        try:
            URLValidator(schemes=["https", "http"])(evidence_url)
        except ValidationError:
            errors["evidence_url"] = ["Enter the evidence link as a web address starting https://"]
    if errors:
        raise ValidationError(errors)
    reason = f"{_label(recommendation)}: progress noted on action {action.number}"
    with transaction.atomic(), pghistory.context(user=by.pk, reason=reason):
        response = _response_for_update(recommendation)
        _require_open(response, recommendation)
        return ProgressNote.objects.create(action=action, date=date, text=text, evidence_url=evidence_url, by=by)


def follow_up_record(*, recommendation: Recommendation, judgement: str, note: str, by: User) -> RecommendationResponse:
    """The inspectorate's judgement at follow-up: met, partly met or not met."""
    if not can_follow_up(by, recommendation.inspection):
        raise Refused(
            f"Only the inspectors of {recommendation.inspection.reference} record its follow-up.", code="not_allowed"
        )
    errors: dict[str, list[str]] = {}
    if judgement not in RecommendationResponse.Judgement.values:
        errors["judgement"] = ["Choose whether the recommendation was met, partly met or not met"]
    if not (note or "").strip():
        errors["note"] = ["Give the evidence for the judgement"]
    if errors:
        raise ValidationError(errors)
    reason = f"{_label(recommendation)}: follow-up judgement recorded"
    with transaction.atomic(), pghistory.context(user=by.pk, reason=reason):
        response = _response_for_update(recommendation)
        _require_open(response, recommendation)
        response.follow_up, response.follow_up_note = judgement, note.strip()
        response.follow_up_by, response.follow_up_at = by, timezone.now()
        response.save()
    return response


def recommendation_close(*, recommendation: Recommendation, by: User) -> RecommendationResponse:
    """Close a recommendation after its follow-up judgement: its action plan is then final."""
    if not can_follow_up(by, recommendation.inspection):
        raise Refused(
            f"Only the inspectors of {recommendation.inspection.reference} close its recommendations.",
            code="not_allowed",
        )
    with transaction.atomic(), pghistory.context(user=by.pk, reason=f"{_label(recommendation)}: closed"):
        response = _response_for_update(recommendation)
        _require_open(response, recommendation)
        if not response.follow_up:
            raise Refused("Record the follow-up judgement before closing the recommendation.", code="no_follow_up")
        response.closed_at, response.closed_by = timezone.now(), by
        response.save()
    return response
