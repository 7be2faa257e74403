"""Live figures in a letter's text: tokens resolved from the case data at generation time.

A lead writes `[[figure 2.2.3.e no]]` and the letter reads "in 59 out of 109 relevant
cases": the cases answered no among those where the question was answered yes or no,
over the letter's inspections. `[[percent 2.4.2.a yes]]` reads "52 per cent (82)".
All the tokens of a text are counted in one aggregate query (and one more to name an
unknown question), so a letter's numbers always equal the data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from casework.models import Answer
from inspections.models import Question

from .findings import _COUNTS, Finding
from .rules import Counts

KINDS = ("figure", "percent")
ANSWERS = ("yes", "no")

# Anything between double square brackets is meant as a token; a well-formed one is
# `[[figure CODE yes|no]]` or `[[percent CODE yes|no]]`. A match never crosses another "[[", so
# finding them is linear: `\[\[(.*?)\]\]` scanned to the end of the text from every "[[" of it,
# and a text of a million "[[" (well under the request size limit) took hours to save.
_BRACKETED = re.compile(r"\[\[((?:(?!\[\[|\]\]).)*)\]\]", re.DOTALL)
_TOKEN = re.compile(r"^\s*(figure|percent)\s+([A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*)\s+(yes|no)\s*$", re.IGNORECASE)


class FigureError(ValueError):
    """A token that cannot be resolved; the message names it."""


@dataclass(frozen=True)
class Token:
    kind: str
    question_code: str
    answer: str

    @property
    def text(self) -> str:
        return f"[[{self.kind} {self.question_code} {self.answer}]]"


def token_text(kind: str, question_code: str, answer: str) -> str:
    return Token(kind, question_code, answer).text


def parse_tokens(text: str) -> list[Token]:
    """Every token of `text`, in order; FigureError naming the first malformed one."""
    tokens = []
    for match in _BRACKETED.finditer(text):
        parsed = _TOKEN.match(match.group(1))
        if parsed is None:
            raise FigureError(
                f"{match.group(0)} is not a figure: write [[figure CODE yes]], [[figure CODE no]], "
                f"[[percent CODE yes]] or [[percent CODE no]]"
            )
        kind, code, answer = parsed.groups()
        tokens.append(Token(kind.lower(), code, answer.lower()))
    rest = _BRACKETED.sub("", text)
    if "[[" in rest or "]]" in rest:
        fragment = rest[rest.find("[[") :] if "[[" in rest else rest[: rest.find("]]") + 2]
        raise FigureError(
            f"{fragment[:40].strip()!s} has unmatched square brackets: a figure is written [[figure CODE yes]]"
        )
    return tokens


def findings_for(question_codes, *, inspection_ids: list[int]) -> dict[str, Finding]:
    """Findings for several questions over the given inspections: one GROUP BY query.

    Counts as `ratings.findings.findings(question_code=..., inspections=...)` does
    (archived case reviews are outside); a known question with no answers counts zero.
    FigureError names a question that no framework has.
    """
    codes = sorted(set(question_codes))
    if not codes:
        return {}
    rows = (
        Answer.objects.filter(
            question__code__in=codes,
            case_review__inspection_id__in=list(inspection_ids),
            case_review__archived_at__isnull=True,
        )
        .values_list("question__code")
        .annotate(**_COUNTS)
        .order_by("question__code")
    )
    found = {
        code: Finding(question=code, counts=Counts(yes=yes, no=no, not_applicable=not_applicable))
        for code, yes, no, not_applicable in rows
    }
    missing = [code for code in codes if code not in found]
    if missing:
        known = set(Question.objects.filter(code__in=missing).values_list("code", flat=True))
        for code in missing:
            if code not in known:
                raise FigureError(f"[[… {code} …]]: there is no key question or prompt {code!r}")
            found[code] = Finding(question=code, counts=Counts())
    return found


def render(token: Token, finding: Finding) -> str:
    count = finding.yes if token.answer == "yes" else finding.no
    if token.kind == "figure":
        return f"in {count} out of {finding.relevant} relevant cases"
    if not finding.relevant:
        return "no relevant cases"
    percent = (Decimal(count * 100) / Decimal(finding.relevant)).quantize(Decimal("1"), ROUND_HALF_UP)
    return f"{percent} per cent ({count})"


def figure_value(kind: str, question_code: str, answer: str, *, inspection_ids: list[int]) -> str:
    """The current value of one token (for the composer's figure picker)."""
    token = Token(kind, question_code, answer)
    return render(token, findings_for([question_code], inspection_ids=inspection_ids)[question_code])


def check_figures(text: str) -> None:
    """Raise FigureError if a token of `text` is malformed or names an unknown question (no counting)."""
    tokens = parse_tokens(text)
    codes = {t.question_code for t in tokens}
    if codes:
        known = set(Question.objects.filter(code__in=codes).values_list("code", flat=True))
        for token in tokens:
            if token.question_code not in known:
                raise FigureError(f"{token.text}: there is no key question or prompt {token.question_code!r}")


def resolve_figures(text: str, *, inspection_ids: list[int]) -> str:
    """`text` with every token replaced by its value over the given inspections.

    ValueError (FigureError) naming the token if one is malformed or names an unknown question.
    """
    tokens = parse_tokens(text)
    if not tokens:
        return text
    try:
        found = findings_for({t.question_code for t in tokens}, inspection_ids=inspection_ids)
    except FigureError:
        check_figures(text)  # names the exact token
        raise

    def replace(match: re.Match) -> str:
        kind, code, answer = _TOKEN.match(match.group(1)).groups()
        token = Token(kind.lower(), code, answer.lower())
        return render(token, found[code])

    return _BRACKETED.sub(replace, text)


def resolve_many(texts: list[str], *, inspection_ids: list[int]) -> list[str]:
    """Several texts resolved together (a letter's findings): one query for all their tokens.

    FigureError (a ValueError) naming the first bad token of any text.
    """
    tokens = [parse_tokens(text) for text in texts]
    codes = {t.question_code for found in tokens for t in found}
    if not codes:
        return list(texts)
    try:
        found = findings_for(codes, inspection_ids=inspection_ids)
    except FigureError:
        for text in texts:
            check_figures(text)
        raise

    def replace(match: re.Match) -> str:
        kind, code, answer = _TOKEN.match(match.group(1)).groups()
        return render(Token(kind.lower(), code, answer.lower()), found[code])

    return [_BRACKETED.sub(replace, text) if mine else text for text, mine in zip(texts, tokens, strict=True)]
