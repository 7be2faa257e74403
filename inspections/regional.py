"""Regional reviews and their letters: who may read and write them, and the writes.

A regional review summarises a round of published PDU inspections in a letter to the
region's director. The team of any of its inspections (inspectors and leads) and
administrators write it; the region's director reads it once every inspection in it is
published; nobody else sees it. Lead inspectors and administrators start one.
Figures in its text are live tokens (`ratings.figures`), checked when saved and
resolved when the letter is generated.
"""

from __future__ import annotations

import datetime

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, QuerySet
from django.http import Http404
from django.utils.text import slugify

from accounts.models import User
from ratings.figures import FigureError, check_figures
from regions.models import Region

from .access import inspections_visible_to
from .errors import Refused
from .models import Inspection, RegionalFinding, RegionalReview, TeamMember

LETTER_FIELDS = ("letter_date", "addressee", "greeting", "copy_to", "signatory", "introduction", "summary")
TEXT_WITH_FIGURES = ("introduction", "summary")


def reviews_visible_to(user: User) -> QuerySet[RegionalReview]:
    reviews = RegionalReview.objects.all()
    if not user.is_authenticated or not user.is_active:
        return reviews.none()
    if user.is_administrator:
        return reviews
    if user.role in (User.Role.INSPECTOR, User.Role.LEAD_INSPECTOR):
        on_team = TeamMember.objects.filter(user=user, inspection__regional_reviews=OuterRef("pk"))
        return reviews.filter(Exists(on_team))
    if user.role == User.Role.REGIONAL_DIRECTOR and user.region_id is not None:
        unpublished = Inspection.objects.filter(regional_reviews=OuterRef("pk")).exclude(
            status=Inspection.Status.PUBLISHED
        )
        published = Inspection.objects.filter(regional_reviews=OuterRef("pk"), status=Inspection.Status.PUBLISHED)
        return reviews.filter(Exists(published), ~Exists(unpublished), region_id=user.region_id)
    return reviews.none()


def can_edit_review(user: User, review: RegionalReview) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_administrator:
        return True
    return TeamMember.objects.filter(user=user, inspection__regional_reviews=review).exists()


def require_review_editor(*, review: RegionalReview, by: User) -> None:
    if not can_edit_review(by, review):
        raise Refused(
            "Only the team of one of the review's inspections or an administrator may change its letter.",
            code="not_allowed",
        )


def can_start_review(user: User) -> bool:
    return user.is_authenticated and user.is_active and (user.is_administrator or user.role == User.Role.LEAD_INSPECTOR)


def review_for(user: User, slug: str, *, change: bool = False) -> RegionalReview:
    """The review for a page: 404 when `user` may not see it, 403 when they may only read it."""
    review = reviews_visible_to(user).select_related("region").filter(slug=slug).first()
    if review is None:
        raise Http404("No regional review with that name")
    if change and not can_edit_review(user, review):
        raise PermissionDenied("You may read this regional letter but not change it")
    return review


def review_inspection_ids(review: RegionalReview) -> list[int]:
    return list(review.inspections.order_by("reference").values_list("id", flat=True))


def inspections_for_review(user: User) -> QuerySet[Inspection]:
    """The published inspections `user` may put in a regional review."""
    return (
        inspections_visible_to(user)
        .filter(status=Inspection.Status.PUBLISHED)
        .select_related("pdu__region")
        .order_by("pdu__region__name", "reference")
    )


def _check_figures_in(errors: dict[str, list[str]], field: str, text: str) -> None:
    try:
        check_figures(text)
    except FigureError as error:
        errors.setdefault(field, []).append(str(error))


def regional_review_create(
    *,
    region: Region,
    inspections: list[Inspection],
    letter_date: datetime.date,
    addressee: str,
    by: User,
    slug: str = "",
) -> RegionalReview:
    if not can_start_review(by):
        raise Refused("Only lead inspectors and administrators may start a regional letter.", code="not_allowed")
    errors: dict[str, list[str]] = {}
    addressee = (addressee or "").strip()
    allowed = set(inspections_for_review(by).filter(pdu__region=region).values_list("id", flat=True))
    if not inspections:
        errors["inspections"] = [f"Choose the published inspections of {region.name} the letter covers"]
    elif any(i.id not in allowed for i in inspections):
        errors["inspections"] = [f"Choose only published inspections of {region.name} that you can see"]
    if not addressee:
        errors["addressee"] = ["Enter the name and title of the Regional Probation Director"]
    if not isinstance(letter_date, datetime.date):
        errors["letter_date"] = ["Enter the letter's date"]
    slug = slugify(slug or f"{region.slug}-{letter_date.year if isinstance(letter_date, datetime.date) else ''}")
    if slug and RegionalReview.objects.filter(slug=slug).exists():
        errors.setdefault("slug", []).append(f"A regional review named {slug} already exists: choose another name")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic(), pghistory.context(user=by.pk, reason=f"regional review {slug} started"):
            review = RegionalReview.objects.create(
                region=region, slug=slug, letter_date=letter_date, addressee=addressee
            )
            review.inspections.set(inspections)
    except IntegrityError:
        raise ValidationError(
            {"slug": [f"A regional review named {slug} already exists: choose another name"]}
        ) from None
    return review


def regional_review_update(*, review: RegionalReview, by: User, **values) -> RegionalReview:
    """Change the letter's details (date, addressee, greeting, copy list, signatory, introduction, summary)."""
    require_review_editor(review=review, by=by)
    unknown = set(values) - set(LETTER_FIELDS)
    if unknown:
        raise TypeError(f"not a letter field: {', '.join(sorted(unknown))}")
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for name, value in values.items():
        cleaned[name] = value.strip() if isinstance(value, str) else value
    if "addressee" in cleaned and not cleaned["addressee"]:
        errors["addressee"] = ["Enter the name and title of the Regional Probation Director"]
    if "letter_date" in cleaned and not isinstance(cleaned["letter_date"], datetime.date):
        errors["letter_date"] = ["Enter the letter's date"]
    for name in TEXT_WITH_FIGURES:
        if name in cleaned:
            _check_figures_in(errors, name, cleaned[name])
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), pghistory.context(user=by.pk, reason=f"regional letter {review.slug}: details changed"):
        review = RegionalReview.objects.select_for_update().get(pk=review.pk)
        for name, value in cleaned.items():
            setattr(review, name, value)
        review.save(update_fields=list(cleaned))
    return review


def _checked_finding(*, heading: str, kind: str, text: str) -> str:
    errors: dict[str, list[str]] = {}
    text = (text or "").strip()
    if heading not in RegionalFinding.Heading.values:
        errors["heading"] = ["Choose the heading the finding belongs under"]
    if kind not in RegionalFinding.Kind.values:
        errors["kind"] = ["Choose narrative, key strength or area for improvement"]
    if not text:
        errors["text"] = ["Enter the finding's text"]
    else:
        _check_figures_in(errors, "text", text)
    if errors:
        raise ValidationError(errors)
    return text


def regional_finding_create(*, review: RegionalReview, heading: str, kind: str, text: str, by: User) -> RegionalFinding:
    require_review_editor(review=review, by=by)
    text = _checked_finding(heading=heading, kind=kind, text=text)
    with transaction.atomic():
        review = RegionalReview.objects.select_for_update().get(pk=review.pk)
        order = (RegionalFinding.objects.filter(review=review).aggregate(m=Max("order"))["m"] or 0) + 1
        label = RegionalFinding.Heading(heading).label
        with pghistory.context(user=by.pk, reason=f"regional letter {review.slug}: finding added under {label}"):
            return RegionalFinding.objects.create(review=review, heading=heading, kind=kind, text=text, order=order)


def regional_finding_update(
    *, finding: RegionalFinding, heading: str, kind: str, text: str, by: User
) -> RegionalFinding:
    require_review_editor(review=finding.review, by=by)
    text = _checked_finding(heading=heading, kind=kind, text=text)
    with transaction.atomic():
        finding = RegionalFinding.objects.select_for_update().select_related("review").get(pk=finding.pk)
        finding.heading, finding.kind, finding.text = heading, kind, text
        with pghistory.context(user=by.pk, reason=f"regional letter {finding.review.slug}: finding changed"):
            finding.save(update_fields=["heading", "kind", "text"])
    return finding


def regional_finding_delete(*, finding: RegionalFinding, by: User) -> None:
    require_review_editor(review=finding.review, by=by)
    with transaction.atomic():
        finding = RegionalFinding.objects.select_for_update().select_related("review").get(pk=finding.pk)
        with pghistory.context(user=by.pk, reason=f"regional letter {finding.review.slug}: finding deleted"):
            finding.delete()


def regional_finding_move(*, finding: RegionalFinding, up: bool, by: User) -> RegionalFinding:
    """Swap a finding with its neighbour of the same heading and kind; at either end nothing changes."""
    require_review_editor(review=finding.review, by=by)
    with transaction.atomic():
        review = RegionalReview.objects.select_for_update().get(pk=finding.review_id)
        finding = RegionalFinding.objects.get(pk=finding.pk)
        group = list(
            RegionalFinding.objects.filter(review=review, heading=finding.heading, kind=finding.kind).order_by("order")
        )
        index = next(i for i, f in enumerate(group) if f.pk == finding.pk)
        other_index = index - 1 if up else index + 1
        if not 0 <= other_index < len(group):
            return finding
        a, b = group[index], group[other_index]
        spare = (RegionalFinding.objects.filter(review=review).aggregate(m=Max("order"))["m"] or 0) + 1
        with pghistory.context(
            user=by.pk, reason=f"regional letter {review.slug}: finding moved {'up' if up else 'down'}"
        ):
            a_order, b_order = a.order, b.order
            a.order = spare
            a.save(update_fields=["order"])
            b.order = a_order
            b.save(update_fields=["order"])
            a.order = b_order
            a.save(update_fields=["order"])
        return a
