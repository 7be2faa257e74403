import json
from collections import defaultdict

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from inspections.models import Framework, Question


def _question(q: Question, prompts: list[dict] | None = None) -> dict:
    data = {
        "code": q.code,
        "kind": q.kind,
        "text": q.text,
        "allows_not_applicable": q.allows_not_applicable,
        "case_types": list(q.case_types),
        "requires_court_report": q.requires_court_report,
    }
    if q.kind == Question.Kind.KEY_QUESTION:
        data["lens"] = q.lens
        data["prompts"] = prompts or []
    return data


def framework_data(framework: Framework) -> dict:
    """The framework's rules, standards, key questions and prompts, in the framework's order."""
    by_parent: dict[int, list[dict]] = defaultdict(list)
    key_questions: dict[int, list[dict]] = defaultdict(list)
    case_wide = []
    questions = list(framework.questions.order_by("order"))
    for q in questions:
        if q.kind == Question.Kind.PROMPT and q.parent_id is not None:
            by_parent[q.parent_id].append(_question(q))
    for q in questions:
        if q.kind == Question.Kind.KEY_QUESTION:
            key_questions[q.standard_id].append(_question(q, by_parent[q.id]))
        elif q.parent_id is None:
            case_wide.append(_question(q))
    return {
        "code": framework.code,
        "title": framework.title,
        "description": framework.description,
        "rules": {
            "thresholds": {
                "outstanding": float(framework.outstanding_threshold),
                "good": float(framework.good_threshold),
                "requires_improvement": float(framework.requires_improvement_threshold),
            },
            "rounding": framework.rounding,
            "points": {
                "outstanding": framework.points_outstanding,
                "good": framework.points_good,
                "requires_improvement": framework.points_requires_improvement,
                "inadequate": framework.points_inadequate,
            },
            "standard_count": framework.standard_count,
            "max_score": framework.max_score,
            "bands": [
                {
                    "rating": b.rating,
                    "label": b.get_rating_display(),
                    "min_score": b.min_score,
                    "max_score": b.max_score,
                }
                for b in framework.bands.order_by("min_score")
            ],
        },
        "standards": [
            {
                "code": s.code,
                "title": s.title,
                "domain": s.domain,
                "domain_title": s.domain_title,
                "headline": s.headline,
                "rated_by": s.rated_by,
                "key_questions": key_questions[s.id],
            }
            for s in framework.standards.order_by("order")
        ],
        "case_wide_prompts": case_wide,
    }


def framework_table(data: dict) -> str:
    r = data["rules"]
    t = r["thresholds"]
    lines = [
        f"{data['code']}: {data['title']}",
        f"Key questions: Outstanding from {t['outstanding']:g}%, Good from {t['good']:g}%, "
        f"Requires improvement from {t['requires_improvement']:g}% ({r['rounding'].replace('_', ' ')}).",
        f"Score out of {r['max_score']} ({r['standard_count']} standards): "
        + "; ".join(f"{b['min_score']}–{b['max_score']} {b['label']}" for b in r["bands"])
        + ".",
    ]
    na = " [N/A allowed]"
    for s in data["standards"]:
        lines += ["", f"{s['code']} {s['title']} (rated by {s['rated_by'].replace('_', ' ')})"]
        for kq in s["key_questions"]:
            lines.append(f"  {kq['code']}  {kq['text']}{na if kq['allows_not_applicable'] else ''}")
            for p in kq["prompts"]:
                lines.append(f"    {p['code']}  {p['text']}{na if p['allows_not_applicable'] else ''}")
    if data["case_wide_prompts"]:
        lines += ["", "Across the case"]
        for p in data["case_wide_prompts"]:
            lines.append(f"  {p['code']}  {p['text']}{na if p['allows_not_applicable'] else ''}")
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "List the frameworks, or show one framework's rules, standards, key questions and prompts "
        "with their codes, texts and whether 'not applicable' is allowed."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", nargs="?", help="A framework code, for example pdu-2021")
        parser.add_argument("--format", choices=["json", "table"], default="table")

    def handle(self, *args, code, format, **options):
        if code is None:
            frameworks = Framework.objects.annotate(standards_loaded=Count("standards")).order_by("code")
            rows = [
                {
                    "code": f.code,
                    "title": f.title,
                    "standard_count": f.standard_count,
                    "max_score": f.max_score,
                    "standards_loaded": f.standards_loaded,
                }
                for f in frameworks
            ]
            if format == "json":
                self.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False))
            else:
                for row in rows:
                    self.stdout.write(f"{row['code']:<12} {row['max_score']:>3} points  {row['title']}")
            return
        try:
            framework = Framework.objects.get(code=code)
        except Framework.DoesNotExist:
            known = ", ".join(Framework.objects.values_list("code", flat=True))
            raise CommandError(f"No framework has the code {code!r}; known frameworks: {known}") from None
        data = framework_data(framework)
        self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) if format == "json" else framework_table(data))
