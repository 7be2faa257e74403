"""Load the frameworks, frozen in time: the data is a copy in `_frameworks_0002.py` and the loader is
copied below, so a later edit of inspections/frameworks (its JSON files or its loader) never changes
what this migration writes in a fresh database."""

from django.db import migrations

from ._frameworks_0002 import FRAMEWORKS


def _question(Question, framework, q: dict, order: int, *, standard, parent):
    question, _ = Question.objects.update_or_create(
        framework=framework,
        code=q["code"],
        defaults={
            "standard": standard,
            "parent": parent,
            "kind": q["kind"],
            "text": q["text"],
            "lens": q.get("lens", ""),
            "allows_not_applicable": q["allows_not_applicable"],
            "case_types": q.get("case_types", []),
            "requires_court_report": q.get("requires_court_report", False)
            or bool(parent is not None and parent.requires_court_report),
            "order": order,
        },
    )
    return question


def load_framework(data: dict, *, Framework, OverallBand, Standard, Question) -> None:
    points = data["points"]
    framework, _ = Framework.objects.update_or_create(
        code=data["code"],
        defaults={
            "title": data["title"],
            "description": data.get("description", ""),
            "outstanding_threshold": data["outstanding_threshold"],
            "good_threshold": data["good_threshold"],
            "requires_improvement_threshold": data["requires_improvement_threshold"],
            "rounding": data["rounding"],
            "points_outstanding": points["outstanding"],
            "points_good": points["good"],
            "points_requires_improvement": points["requires_improvement"],
            "points_inadequate": points["inadequate"],
            "standard_count": data.get("standard_count") or len(data["standards"]),
        },
    )
    for rating, low, high in data["bands"]:
        OverallBand.objects.update_or_create(
            framework=framework, rating=rating, defaults={"min_score": low, "max_score": high}
        )
    order = 0
    for position, s in enumerate(data["standards"], start=1):
        standard, _ = Standard.objects.update_or_create(
            framework=framework,
            code=s["code"],
            defaults={
                "domain": s["domain"],
                "domain_title": s["domain_title"],
                "title": s["title"],
                "headline": s["headline"],
                "rated_by": s["rated_by"],
                "order": position,
            },
        )
        for kq in s["key_questions"]:
            order += 1
            key_question = _question(Question, framework, kq, order, standard=standard, parent=None)
            for prompt in kq["prompts"]:
                order += 1
                _question(Question, framework, prompt, order, standard=standard, parent=key_question)
    for prompt in data["case_wide_prompts"]:
        order += 1
        _question(Question, framework, prompt, order, standard=None, parent=None)


def load(apps, schema_editor):
    models = {
        name: apps.get_model("inspections", name) for name in ["Framework", "OverallBand", "Standard", "Question"]
    }
    for data in FRAMEWORKS:
        load_framework(data, **models)


class Migration(migrations.Migration):
    dependencies = [("inspections", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
