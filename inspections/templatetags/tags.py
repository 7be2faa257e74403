"""`{{ value|tag_colour }}`: the GOV.UK tag modifier class of a case state, inspection stage or rating.

One table for every vocabulary (their values do not overlap), built from the vocabularies'
own colour maps, so a state looks the same on every page.
"""

from django import template

from inspections.choices import PROGRESS_TAG_COLOURS, RATING_TAG_COLOURS
from inspections.models import Inspection

register = template.Library()

INSPECTION_STATUS_TAG_COLOURS = {
    Inspection.Status.PLANNED: "grey",
    Inspection.Status.FIELDWORK: "",
    Inspection.Status.MODERATION: "purple",
    Inspection.Status.RATINGS_PANEL: "yellow",
    Inspection.Status.PUBLISHED: "green",
}

TAG_COLOURS = {
    str(value): colour
    for table in (PROGRESS_TAG_COLOURS, INSPECTION_STATUS_TAG_COLOURS, RATING_TAG_COLOURS)
    for value, colour in table.items()
}


@register.filter
def tag_colour(value) -> str:
    colour = TAG_COLOURS.get(str(value), "")
    return f"govuk-tag--{colour}" if colour else ""
