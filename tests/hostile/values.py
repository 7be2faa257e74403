"""Hostile values for the property tests of the new surfaces (tests/test_hostile_input_*.py).

Each value is built from pieces people and attackers type: markup and script (each carrying
MARK, so a raw echo is found by substring), SQL, template and XML fragments, spreadsheet
formulas, NUL and other control characters, unicode oddities, numbers of the wrong type or
size, malformed dates, and very long strings (10,000 to 1,000,000 characters). A query
parameter may also be repeated. The examples are few and derandomised, so the suite is
repeatable and quick; HOSTILE_EXAMPLES=500 explores further with fresh randomness.
"""

from __future__ import annotations

import os
import re

from django.apps import apps
from django.test import Client
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from accounts.models import User

MARK = "hostileh11"  # in every markup payload: a raw echo of the payload is easy to find

# Markup payloads: none may appear raw in an HTML page, nor become an element of a document.
MARKUP = [
    f"<script>{MARK}()</script>",
    f'"><img src=x onerror={MARK}()>',
    f"'><svg onload={MARK}()>",
    f'<a href="javascript:{MARK}()">link</a>',
    f"<img src=http://127.0.0.1:9/{MARK}.png>",
    f"<link rel=stylesheet href=http://127.0.0.1:9/{MARK}.css>",
    f"<style>body{{background:url(http://127.0.0.1:9/{MARK}.png)}}</style>",
    f"<iframe src=file:///etc/passwd#{MARK}></iframe>",
    f"</textarea><script>{MARK}()</script>",
    f"</title><script>{MARK}()</script>",
    f"<w:p><w:r><w:t>{MARK}</w:t></w:r></w:p>",
    f"</w:t></w:r><w:r><w:t>{MARK}",
    f"]]><{MARK}/>",
    f"<![CDATA[{MARK}]]>",
    f"<!--{MARK}-->",
    f"<?xml version='1.0'?><{MARK}>",
    f"<b>{MARK}</b>",
]
# Text that is not markup but looks like something a renderer or database might run.
LOOKALIKES = [
    f"{{{{ {MARK} }}}}",
    "{% debug %}",
    "${7*7}",
    "%s%s%s%n",
    f"&lt;{MARK}&gt;",
    "&amp;&#60;&#x3c;&nbsp;",
    "&xxe;",
    f"url(http://127.0.0.1:9/{MARK})",
    "@import 'http://127.0.0.1:9/x.css';",
    "' OR '1'='1' --",
    "1; DROP TABLE inspections_inspection; --",
    "%' AND 1=1 --",
    "\\'\\\"",
    "../../../../etc/passwd",
    "javascript:alert(1)",
    "[[figure 2.2.3.e no]]",
    "[[ figure",
    "]]",
    "[[[[",
]
FORMULAS = [
    '=HYPERLINK("http://127.0.0.1:9/x","click")',
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1:A2)",
    "=cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
CONTROL_CHARACTERS = [chr(c) for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0))]
UNICODE_ODDITIES = [
    "\u202e",  # right-to-left override
    "\u200b",  # zero-width space
    "\ufeff",  # byte order mark
    "\ufffd",
    "\ufffe",  # a noncharacter, not allowed in XML
    "\uffff",
    "\u2028",  # line separator
    "\u00a0",
    "e\u0301",  # a combining accent
    "İß",
    "ﬁ",
    "中文",
    "\u0600",
    "＜script＞",  # full-width angle brackets
    "𝕏",
    "😀",
    "٣",  # an Arabic-Indic digit: int() reads it
]
NUMBERS = [
    "0",
    "-1",
    "-0",
    "1.5",
    "1e3",
    "1e308",
    "NaN",
    "Infinity",
    "0x1F",
    "1_000",
    " 7 ",
    "99999999999999999999",
    "-99999999999999999999",
    str(2**63),
    str(-(2**63) - 1),
]
DATES = [
    "2023-02-30",
    "2023-13-01",
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "-2023-01-01",
    "2023-1-1",
    "31/12/2023",
    "2023-12-31T25:00",
    "2023-12-31T23:59:60+24:00",
    "2020-01-01T00:00:00+21:16",
    "2023-W01",
    "yesterday",
    "2023–01–01",  # en dashes
]

# Control characters are one kind of piece in ten: a query string with one is refused before any
# view runs (web.middleware), so more would leave the views themselves less tried.
_pieces = st.one_of(
    st.sampled_from(MARKUP),
    st.sampled_from(MARKUP),
    st.sampled_from(LOOKALIKES),
    st.sampled_from(FORMULAS),
    st.sampled_from(CONTROL_CHARACTERS),
    st.sampled_from(UNICODE_ODDITIES),
    st.sampled_from(NUMBERS),
    st.sampled_from(DATES),
    st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=12),
    st.text(max_size=12),
)
short_values = st.lists(_pieces, min_size=1, max_size=4).map("".join)


def _long(unit_and_length: tuple[str, int]) -> str:
    unit, length = unit_and_length
    return (unit * (length // len(unit) + 1))[:length]


long_values = st.tuples(
    st.sampled_from(["A", "é", "<", "[[", " ", "9", "-", ",", MARKUP[0], FORMULAS[0]]),
    st.sampled_from([10_000, 100_000, 1_000_000]),
).map(_long)

# One value: mostly short and varied, sometimes very long, sometimes empty.
hostile_values = st.one_of(short_values, short_values, short_values, long_values, st.just(""))
# A query parameter's values: once, or repeated.
query_values = st.one_of(hostile_values, st.lists(hostile_values, min_size=2, max_size=3))


def examples(count: int) -> settings:
    """Hypothesis settings for one property: `count` examples, repeatable unless exploring."""
    explore = int(os.environ.get("HOSTILE_EXAMPLES", "0"))
    return settings(
        max_examples=explore or count,
        deadline=None,
        derandomize=not explore,
        # Repeatable examples need no shrinking to be found again, and shrinking a failure of a
        # million-character value takes minutes: in the suite a failure is reported as found.
        phases=list(Phase) if explore else [Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


def values_of(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def markup_in(value: str) -> list[str]:
    """The markup payloads a value carries: any of them raw in an HTML page is an unescaped echo."""
    return [payload for payload in MARKUP if payload in value]


def body_of(response) -> str:
    data = b"".join(response.streaming_content) if response.streaming else response.content
    return data.decode("utf-8", errors="replace")


def assert_no_raw_echo(response, values: list[str]) -> None:
    """No markup from the values appears unescaped in an HTML answer; other answers are not HTML."""
    content_type = response.get("Content-Type", "")
    body = body_of(response)
    if content_type.startswith("text/html"):
        for value in values:
            for payload in markup_in(value):
                assert payload not in body, f"{payload!r} echoed raw"
        assert f"<{MARK}" not in body and f"<script>{MARK}" not in body
    else:
        # JSON, CSV and plain text are never read as HTML: the browser is told not to guess.
        assert response.get("X-Content-Type-Options") == "nosniff", content_type


# What web.middleware refuses in a query string (a 400 page before any view): control characters
# other than tab and line breaks, in a name or a value.
_CONTROL_IN_ADDRESS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def refused_in_address(params: dict) -> bool:
    return any(_CONTROL_IN_ADDRESS.search(v) for value in params.values() for v in values_of(value)) or any(
        _CONTROL_IN_ADDRESS.search(name) for name in params
    )


def is_bad_address_page(response) -> bool:
    return response.status_code == 400 and (
        "Sorry, there is a problem with the web address or form" in body_of(response)
        or response.get("Content-Type", "").startswith("application/json")
    )


def has_form_error(response) -> bool:
    return 'class="govuk-error-summary"' in body_of(response)


PROJECT_APPS = ("regions", "accounts", "inspections", "casework", "ratings", "trackers", "documents", "api")


def row_counts() -> dict[str, int]:
    """Rows in every table of the project's apps, their history (pghistory events) included."""
    return {
        model._meta.label: model.objects.count()
        for app in PROJECT_APPS
        for model in apps.get_app_config(app).get_models()
    }


# Cells of an export ----------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def is_neutral(cell: str) -> bool:
    """A cell a spreadsheet will not run: it does not start like a formula, or it is a plain number."""
    return not cell.startswith(FORMULA_STARTS) or bool(_NUMBER.fullmatch(cell))


def signed_in(email: str) -> Client:
    """A client signed in as the demo account with this email address."""
    client = Client()
    client.force_login(User.objects.get(email=email))
    return client
