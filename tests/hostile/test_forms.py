"""Hostile values posted to every new form: refused with a form error (or a 400) and nothing written,
or accepted exactly as text and shown escaped.

The letter composer's details and findings (add and edit) and starting a letter, recommendations
(add and edit), the action plan's response, actions, action status, progress notes and follow-up,
the API tokens page and the document request. Each example starts from a valid form, replaces one
to three of its fields with hostile values (tests/hostile/values.py: markup, XML fragments,
formulas, NUL and control characters, unicode oddities, wrong types, huge and negative numbers,
malformed dates, up to a million characters) and posts it:

- refused: a page with the GOV.UK error summary (or the 400 page for a body over the size limit),
  every row count and the edited row exactly as before;
- accepted: only if no rule the form states was broken (no NUL byte, within its length, not
  blank), stored exactly as typed less surrounding white space, and on the page only escaped.

Each example runs in a transaction rolled back at its end, so every example starts from the demo.
"""

from __future__ import annotations

import datetime
import time

import pytest
from django.db import transaction
from django.test import Client
from django.utils.html import escape
from hypothesis import event, given
from hypothesis import strategies as st

from accounts.models import User
from api.models import APIToken
from documents.models import DocumentJob
from inspections.models import Inspection, Recommendation, RegionalFinding, RegionalReview
from ratings.figures import FigureError, check_figures
from trackers.models import Action, ProgressNote, RecommendationResponse

from .values import (
    MARKUP,
    body_of,
    examples,
    has_form_error,
    hostile_values,
    is_bad_address_page,
    markup_in,
    row_counts,
    signed_in,
)

LEAD = "lead@demo.test"
INSPECTOR = "inspector@demo.test"
DIRECTOR = "director.southwest@demo.test"
ANALYST = "analyst@demo.test"
REVIEW = "south-west-2023"
COMPOSER = f"/regional-letters/{REVIEW}/"


# A field's value: hostile, or (for fields with a few right answers) one of them.
def field_values(valid: list[str]):
    return st.one_of(hostile_values, hostile_values, st.sampled_from(valid)) if valid else hostile_values


@st.composite
def form_data(draw, base: dict[str, str], valid: dict[str, list[str]], prefix: str = "") -> dict:
    """A valid form with one to three of its fields replaced, sometimes sent twice (repeated)."""
    data = dict(base)
    for name in draw(st.lists(st.sampled_from(sorted(base)), min_size=1, max_size=3, unique=True)):
        value = draw(field_values(valid.get(name, [])))
        data[name] = [draw(hostile_values), value] if draw(st.integers(0, 9)) == 0 else value
    return {f"{prefix}{name}": value for name, value in data.items()}


def sent(data: dict, name: str, prefix: str = "") -> str:
    """The value a form reads for `name`: the last one sent."""
    value = data[f"{prefix}{name}"]
    return value[-1] if isinstance(value, list) else value


def breaks_a_rule(value: str, *, required: bool = False, max_length: int | None = None) -> bool:
    """A text the form must refuse, whatever else it checks."""
    if "\x00" in value:
        return True
    text = value.strip()
    return (required and not text) or (max_length is not None and len(text) > max_length)


def body_too_big(data: dict) -> bool:
    """Over Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), which the multipart body's fields count."""
    size = sum(len(str(v).encode()) for value in data.values() for v in (value if isinstance(value, list) else [value]))
    return size > 2_400_000


def post_and_judge(client: Client, url: str, data: dict, *, state, must_refuse: bool, may_accept: bool = True):
    """Post; a refusal is a form error (or a 400) with nothing written; returns the response."""
    rows, before = row_counts(), state()
    response = client.post(url, data)
    assert response.status_code in (200, 302, 400), response.status_code
    event("accepted" if response.status_code == 302 else "refused")
    if response.status_code == 302:
        assert not must_refuse and may_accept, "accepted what breaks a stated rule"
        return response
    assert has_form_error(response) or is_bad_address_page(response)
    assert row_counts() == rows
    assert state() == before
    return response


def shown_escaped(page: str, values: list[str]) -> None:
    """The markup a stored text carries is on the page escaped, never raw."""
    for value in values:
        for payload in markup_in(value):
            assert payload not in page
            assert escape(payload) in page


def rolled_back(judge):
    """Runs one example in a transaction that is rolled back, so each starts from the demo."""

    def run(*args, **kwargs):
        with transaction.atomic():
            judge(*args, **kwargs)
            transaction.set_rollback(True)

    return run


# The letter composer ------------------------------------------------------------------------------

DETAILS = {
    "addressee": "Angela Cossins, Regional Probation Director",
    "greeting": "Dear Angela,",
    "copy_to": "Kate White",
    "signatory": "Justin Russell\nChief Inspector of Probation",
    "introduction": "Many thanks.",
    "summary": "In [[figure 2.2.3.e no]].",
    "letter_date_day": "24",
    "letter_date_month": "8",
    "letter_date_year": "2023",
}
DETAILS_VALID = {"letter_date_day": ["1", "31", "0", "32"], "letter_date_month": ["2", "13"]}
LETTER_TEXTS = ("addressee", "greeting", "copy_to", "signatory", "introduction", "summary")


def review_state():
    return RegionalReview.objects.filter(slug=REVIEW).values(*LETTER_TEXTS, "letter_date").get()


def letter_date(data: dict) -> datetime.date | None:
    try:
        day, month, year = (int(sent(data, f"letter_date_{p}").strip()) for p in ("day", "month", "year"))
        return datetime.date(year, month, day)
    except (ValueError, OverflowError):
        return None


@pytest.mark.django_db
def test_the_letter_details_refuse_hostile_values_or_keep_them_as_text(demo):
    client = signed_in(LEAD)

    @examples(30)
    @given(data=form_data(DETAILS, DETAILS_VALID))
    @rolled_back
    def details(data):
        data = {"form": "details", **data}
        texts = {name: sent(data, name) for name in LETTER_TEXTS}
        must_refuse = (
            any(breaks_a_rule(v, max_length=200) for n, v in texts.items() if n in ("addressee", "greeting"))
            or breaks_a_rule(texts["addressee"], required=True)
            or any("\x00" in v for v in texts.values())
            or any("\x00" in sent(data, f"letter_date_{p}") for p in ("day", "month", "year"))
        )
        response = post_and_judge(client, COMPOSER, data, state=review_state, must_refuse=must_refuse)
        if response.status_code == 302:
            stored = review_state()
            assert stored == {**{n: v.strip() for n, v in texts.items()}, "letter_date": letter_date(data)}
            shown_escaped(body_of(client.get(COMPOSER)), list(texts.values()))
        elif not body_too_big(data) and not must_refuse and letter_date(data):
            # Refused with every stated rule kept: only a figure token can be what was wrong.
            assert any(_figure_error(texts[n]) for n in ("introduction", "summary")), data.keys()

    details()


def _figure_error(text: str) -> bool:
    try:
        check_figures(text.strip())
    except FigureError:
        return True
    return False


def test_a_huge_number_in_a_letter_date_is_a_form_error_not_a_server_error(demo, client):
    # Found by the property above: datetime.date() raises OverflowError (not ValueError) for a day,
    # month or year too big for C, and the form caught only ValueError.
    client.force_login(User.objects.get(email=LEAD))
    before = review_state()
    for part in ("day", "month", "year"):
        data = {"form": "details", **DETAILS, f"letter_date_{part}": "99999999999999999999"}
        response = client.post(COMPOSER, data)
        assert response.status_code == 200 and "The letter&#x27;s date must be a real date" in body_of(response)
    assert review_state() == before
    start = {
        "region": "",
        "addressee": "A B",
        "letter_date_day": "1",
        "letter_date_month": "1",
        "letter_date_year": "-99999999999999999999",
    }
    response = client.post("/regional-letters/new/", start)
    assert response.status_code == 200 and "The letter&#x27;s date must be a real date" in body_of(response)


FINDING = {"heading": "leadership", "kind": "narrative", "text": "Leaders are visible."}
FINDING_VALID = {
    "heading": ["staff", "services", "leadership "],
    "kind": ["strength", "improvement", "key_strength"],
}


def finding_state():
    return list(RegionalFinding.objects.filter(review__slug=REVIEW).order_by("pk").values("heading", "kind", "text"))


def finding_rules(data: dict, prefix: str = "") -> tuple[bool, bool]:
    """(must refuse, may accept) from the rules the finding form states."""
    heading, kind, text = (sent(data, n, prefix) for n in ("heading", "kind", "text"))
    must = (
        heading not in RegionalFinding.Heading.values
        or kind not in RegionalFinding.Kind.values
        or breaks_a_rule(text, required=True)
    )
    return must, not _figure_error(text)


@pytest.mark.django_db
def test_a_new_finding_refuses_hostile_values_or_keeps_them_as_text(demo):
    client = signed_in(LEAD)

    @examples(25)
    @given(data=form_data(FINDING, FINDING_VALID, prefix="finding-"))
    @rolled_back
    def add(data):
        must, may = finding_rules(data, "finding-")
        response = post_and_judge(
            client, COMPOSER, {"form": "finding", **data}, state=finding_state, must_refuse=must, may_accept=may
        )
        if response.status_code == 302:
            added = RegionalFinding.objects.filter(review__slug=REVIEW).latest("pk")
            assert added.text == sent(data, "text", "finding-").strip()
            shown_escaped(body_of(client.get(COMPOSER)), [added.text])
        elif not must and may and not body_too_big(data):
            raise AssertionError("a finding that breaks no rule was refused")

    add()


@pytest.mark.django_db
def test_an_edited_finding_refuses_hostile_values_or_keeps_them_as_text(demo):
    client = signed_in(LEAD)
    finding = RegionalFinding.objects.filter(review__slug=REVIEW).order_by("order").first()
    url = f"{COMPOSER}findings/{finding.pk}/"

    @examples(25)
    @given(data=form_data(FINDING, FINDING_VALID))
    @rolled_back
    def edit(data):
        must, may = finding_rules(data)
        response = post_and_judge(client, url, data, state=finding_state, must_refuse=must, may_accept=may)
        if response.status_code == 302:
            finding.refresh_from_db()
            assert (finding.heading, finding.kind, finding.text) == tuple(
                sent(data, n).strip() if n == "text" else sent(data, n) for n in ("heading", "kind", "text")
            )
            page = body_of(client.get(url))
            assert escape(finding.text) in page  # the textarea holds it, escaped

    edit()


def test_a_million_unclosed_brackets_in_a_letter_text_are_refused_at_once(demo, client):
    # Found by the properties above: the figure tokens were found with `\[\[(.*?)\]\]`, which scans to
    # the end of the text from every "[[", so a text of a million of them (under the request size
    # limit) took hours to check: every save of the details or a finding, and every composer page.
    client.force_login(User.objects.get(email=LEAD))
    started = time.monotonic()
    response = client.post(
        COMPOSER,
        {"form": "finding", "finding-heading": "staff", "finding-kind": "narrative", "finding-text": "[[" * 10**6},
    )
    assert response.status_code == 200 and "unmatched square brackets" in body_of(response)
    assert time.monotonic() - started < 10


# Starting a letter ------------------------------------------------------------------------------

START_VALID = {"region": ["south-west", "1", "999999999999999999999", "-1"], "slug": ["south-west-2099", "UPPER"]}


@pytest.mark.django_db
def test_starting_a_letter_refuses_hostile_values(demo):
    client = signed_in(LEAD)
    inspections = Inspection.objects.filter(status=Inspection.Status.PUBLISHED).order_by("pk")
    region = str(inspections[0].pdu.region_id)
    base = {
        "region": region,
        "inspections": str(inspections[0].pk),
        "addressee": "A B, RPD",
        "slug": "sw-2099",
        "letter_date_day": "1",
        "letter_date_month": "2",
        "letter_date_year": "2099",
    }

    @examples(25)
    @given(data=form_data(base, {**START_VALID, "inspections": [str(i.pk) for i in inspections] + ["0", "x"]}))
    @rolled_back
    def start(data):
        must = any("\x00" in sent(data, n) for n in base) or breaks_a_rule(
            sent(data, "addressee"), required=True, max_length=200
        )
        response = post_and_judge(
            client,
            "/regional-letters/new/",
            data,
            state=lambda: list(RegionalReview.objects.values()),
            must_refuse=must,
        )
        if response.status_code == 302:
            review = RegionalReview.objects.latest("pk")
            assert review.addressee == sent(data, "addressee").strip()
            shown_escaped(body_of(client.get(response["Location"])), [review.addressee])

    start()


# Recommendations ---------------------------------------------------------------------------------

RECOMMENDATION = {"addressee": "pdu", "text": "Improve the quality of risk assessments."}
RECOMMENDATION_VALID = {"addressee": ["region", "hmpps", "HMPPS", "pdu "]}


def recommendation_state():
    return list(Recommendation.objects.order_by("pk").values("inspection_id", "order", "addressee", "text"))


@pytest.mark.django_db
def test_recommendations_refuse_hostile_values_or_keep_them_as_text(demo):
    client = signed_in(LEAD)
    inspection = Inspection.objects.get(reference="SW-CIS-2026")  # in fieldwork: its recommendations may change
    first = Recommendation.objects.create(inspection=inspection, addressee="pdu", text="Recruit staff", order=1)
    pages = {
        "add": f"/inspections/{inspection.reference}/recommendations/add/",
        "edit": f"/inspections/{inspection.reference}/recommendations/{first.pk}/",
    }

    @examples(30)
    @given(page=st.sampled_from(sorted(pages)), data=form_data(RECOMMENDATION, RECOMMENDATION_VALID))
    @rolled_back
    def recommend(page, data):
        addressee, text = sent(data, "addressee"), sent(data, "text")
        must = addressee not in ("pdu", "region", "hmpps") or breaks_a_rule(text, required=True)
        response = post_and_judge(client, pages[page], data, state=recommendation_state, must_refuse=must)
        if response.status_code == 302:
            stored = Recommendation.objects.filter(inspection=inspection).latest("pk" if page == "add" else "order")
            if page == "edit":
                stored = Recommendation.objects.get(pk=first.pk)
            assert (stored.addressee, stored.text) == (addressee, text.strip())
            shown_escaped(body_of(client.get(f"/inspections/{inspection.reference}/recommendations/")), [text])
        elif not must and not body_too_big(data):
            raise AssertionError("a recommendation that breaks no rule was refused")

    recommend()


# The action plan ----------------------------------------------------------------------------------


def tracker_state():
    return (
        list(RecommendationResponse.objects.order_by("pk").values()),
        list(Action.objects.order_by("pk").values()),
        ProgressNote.objects.count(),
    )


@pytest.fixture
def open_recommendation(demo):
    """A South West recommendation with a response and actions, not closed: its page and first action."""
    response = (
        RecommendationResponse.objects.filter(closed_at__isnull=True, actions__isnull=False)
        .select_related("recommendation__inspection")
        .order_by("pk")
        .first()
    )
    recommendation = response.recommendation
    url = f"/trackers/south-west/{recommendation.inspection.reference}/{recommendation.order}/"
    return recommendation, url, response.actions.order_by("number").first()


RESPONSE = {"answer": "agreed", "narrative": "The head of PDU leads it.", "standard": ""}
ACTION = {
    "description": "Audit 20 cases a quarter",
    "owner_name": "Head of PDU",
    "owner_email": "head@probation.example",
    "due_date": "31/03/2027",
    "rag": "green",
}
NOTE = {"date": "01/06/2025", "text": "First audit done", "evidence_url": ""}
TRACKER_VALID = {
    "answer": ["partly_agreed", "not_agreed", "maybe"],
    "standard": ["1", "0", "-1", "99999999999999999999"],
    "owner_email": ["=cmd@example.com", "a@b", "@example.com", "x@" + "a" * 300 + ".com"],
    "due_date": ["2027-03-31", "31 03 2027", "29/02/2027", "31/12/9999", "01/01/0001"],
    "rag": ["red", "amber", "blue"],
    "date": ["2025-06-01", "31/12/9999", "01/01/0001"],
    "evidence_url": ["https://intranet.example/x", "javascript:alert(1)", "file:///etc/passwd", "//evil"],
    "status": ["not_started", "in_progress", "complete", "done"],
    "judgement": ["met", "partly_met", "not_met", "unmet"],
}


@pytest.mark.django_db
@pytest.mark.parametrize("form", ["response", "action", "note", "status"])
def test_the_action_plans_forms_refuse_hostile_values_or_keep_them_as_text(open_recommendation, form):
    recommendation, url, action = open_recommendation
    client = signed_in(DIRECTOR)
    n = action.number
    forms = {
        "response": (url + "response/", RESPONSE, ""),
        "action": (url + "actions/", ACTION, "new-action-"),
        "note": (url + f"actions/{n}/notes/", NOTE, f"note-{n}-"),
        "status": (url + f"actions/{n}/", {"status": "in_progress", "rag": "amber"}, f"action-{n}-"),
    }
    address, base, prefix = forms[form]
    texts = {"response": ["narrative"], "action": ["description", "owner_name"], "note": ["text"], "status": []}[form]

    @examples(20)
    @given(data=form_data(base, TRACKER_VALID, prefix=prefix))
    @rolled_back
    def plan(data):
        values = {name: sent(data, name, prefix) for name in base}
        must = any("\x00" in v for v in values.values()) or any(
            breaks_a_rule(values[t], required=True, max_length=200 if t == "owner_name" else None) for t in texts
        )
        response = post_and_judge(client, address, data, state=tracker_state, must_refuse=must)
        if response.status_code == 302:
            if form == "response":
                stored = RecommendationResponse.objects.get(recommendation=recommendation).narrative
            elif form == "action":
                stored = Action.objects.latest("pk")
                assert stored.owner_name == values["owner_name"].strip()
                stored = stored.description
            elif form == "note":
                stored = ProgressNote.objects.latest("pk").text
            else:
                return
            assert stored == values[texts[0]].strip()
            shown_escaped(body_of(client.get(url)), [values[t] for t in texts])

    plan()


@pytest.mark.django_db
def test_the_follow_up_refuses_hostile_values_or_keeps_them_as_text(open_recommendation):
    recommendation, url, _ = open_recommendation
    client = signed_in(INSPECTOR)

    @examples(15)
    @given(data=form_data({"judgement": "met", "note": "Seen in the audit"}, TRACKER_VALID))
    @rolled_back
    def follow_up(data):
        judgement, note = sent(data, "judgement"), sent(data, "note")
        must = judgement not in ("met", "partly_met", "not_met") or breaks_a_rule(note, required=True)
        response = post_and_judge(client, url + "follow-up/", data, state=tracker_state, must_refuse=must)
        if response.status_code == 302:
            assert RecommendationResponse.objects.get(recommendation=recommendation).follow_up_note == note.strip()
            shown_escaped(body_of(client.get(url)), [note])

    follow_up()


# API tokens and document requests -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_tokens_page_refuses_hostile_days(demo):
    client = signed_in(ANALYST)
    outside = ["0", "366", "-1", "99999999999999999999", "1e2", "1.5", "thirty"]
    inside = ["1", "365", " 30 "]

    @examples(25)
    @given(days=st.one_of(hostile_values, st.sampled_from(outside + inside)))
    @rolled_back
    def create(days):
        before, rows = APIToken.objects.count(), row_counts()
        response = client.post("/account/api-tokens/", {"days": days})
        assert response.status_code in (200, 400)
        if APIToken.objects.count() > before:  # created: the page shows the token once, and is not kept
            assert "\x00" not in days and days not in outside
            token = APIToken.objects.latest("created")
            assert 1 <= round((token.expiry - token.created).total_seconds() / 86400) <= 365
            assert "no-store" in response["Cache-Control"]
        else:
            assert days not in inside
            assert has_form_error(response) or is_bad_address_page(response)
            assert row_counts() == rows

    create()


@pytest.mark.django_db
def test_a_hostile_document_format_is_a_400_and_queues_nothing(demo):
    client = signed_in(LEAD)

    @examples(15)
    @given(fmt=hostile_values.filter(lambda v: v not in ("docx", "pdf")))
    def request(fmt):
        before = DocumentJob.objects.count()
        response = client.post(f"/documents/letters/{REVIEW}/generate/", {"format": fmt, "force": fmt})
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html") and not markup_in(body_of(response))
        assert DocumentJob.objects.count() == before

    request()


# The texts the issue names, exactly: stored as typed, shown escaped ---------------------------------

BRIEF = '<b>bold</b> =HYPERLINK("x") {{ 7*7 }} </w:t><w:t>\x0b end'
CDATA = " ]]>"  # a figure's closing brackets: only in texts that hold no figures


@pytest.mark.parametrize(
    ("email", "address", "data", "stored"),
    [
        (
            LEAD,
            COMPOSER,
            {"form": "details", **DETAILS, "greeting": BRIEF + CDATA, "signatory": BRIEF + CDATA},
            lambda: RegionalReview.objects.get(slug=REVIEW).greeting,
        ),
        (
            LEAD,
            COMPOSER,
            {"form": "finding", "finding-heading": "staff", "finding-kind": "strength", "finding-text": BRIEF},
            lambda: RegionalFinding.objects.latest("pk").text,
        ),
        (
            LEAD,
            "/inspections/SW-CIS-2026/recommendations/add/",
            {"addressee": "pdu", "text": BRIEF + CDATA},
            lambda: Recommendation.objects.latest("pk").text,
        ),
    ],
)
def test_the_named_hostile_texts_are_stored_as_typed_and_shown_escaped(demo, client, email, address, data, stored):
    client.force_login(User.objects.get(email=email))
    typed = next(v for v in data.values() if v.startswith(BRIEF))
    assert client.post(address, data).status_code == 302
    assert stored() == typed
    page = body_of(client.get(address.replace("add/", "")))
    assert escape(typed) in page or escape(typed).replace("\n", "<br>") in page
    assert "<b>bold</b>" not in page and "</w:t><w:t>" not in page and "{{ 7*7 }}" in page


@pytest.mark.parametrize("form", ["response", "action", "note"])
def test_the_named_hostile_texts_are_kept_in_the_action_plan_and_shown_escaped(open_recommendation, client, form):
    recommendation, url, action = open_recommendation
    client.force_login(User.objects.get(email=DIRECTOR))
    typed = BRIEF + CDATA
    n = action.number
    address, data, stored = {
        "response": (url + "response/", {**RESPONSE, "narrative": typed}, lambda: recommendation.response.narrative),
        "action": (
            url + "actions/",
            {f"new-action-{k}": v for k, v in {**ACTION, "description": typed, "owner_name": typed}.items()},
            lambda: Action.objects.latest("pk").description,
        ),
        "note": (
            url + f"actions/{n}/notes/",
            {f"note-{n}-{k}": v for k, v in {**NOTE, "text": typed}.items()},
            lambda: ProgressNote.objects.latest("pk").text,
        ),
    }[form]
    assert client.post(address, data).status_code == 302
    recommendation.refresh_from_db()
    if form == "response":
        recommendation.response.refresh_from_db()
    assert stored() == typed
    page = body_of(client.get(url))
    assert escape(typed) in page and "<b>bold</b>" not in page and "</w:t><w:t>" not in page


def test_the_markup_payloads_are_single_lines():
    # shown_escaped looks for each payload escaped on the page: linebreaksbr would split one with a newline.
    assert all("\n" not in payload and "\r" not in payload for payload in MARKUP)
