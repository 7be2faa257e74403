"""Long lists a page at a time, with the links of the GOV.UK pagination component.

The page number is in the address (`?page=2`) beside the list's filters, so a page
can be shared. A page number that is not a number gives the first page and one past
the end the last (Django's `Paginator.get_page`): an old link still lands somewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

PAGE_SIZE = 25


@dataclass(frozen=True)
class PageLink:
    number: int | None  # None for the ellipsis between distant pages
    href: str = ""
    current: bool = False


@dataclass(frozen=True)
class Paging:
    page: Page
    links: list[PageLink]
    previous_href: str | None
    next_href: str | None


def page_href(query: str, number: int) -> str:
    """The address of page `number` of the list filtered by `query` (already URL-encoded); page 1 has no number."""
    parts = [query] if query else []
    if number != 1:
        parts.append(f"page={number}")
    return "?" + "&".join(parts)


def paginate(queryset: QuerySet, *, page: str | None, query: str = "", per_page: int = PAGE_SIZE) -> Paging:
    """One page of `queryset`: a COUNT and one slice, whatever the length of the list."""
    current = Paginator(queryset, per_page).get_page(page)
    links = [
        PageLink(number=number, href=page_href(query, number), current=number == current.number)
        if isinstance(number, int)
        else PageLink(number=None)  # Paginator.ELLIPSIS
        for number in current.paginator.get_elided_page_range(current.number, on_each_side=1, on_ends=1)
    ]
    return Paging(
        page=current,
        links=links,
        previous_href=page_href(query, current.previous_page_number()) if current.has_previous() else None,
        next_href=page_href(query, current.next_page_number()) if current.has_next() else None,
    )
