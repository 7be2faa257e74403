"""The frameworks data migration is frozen in time: editing a framework file later changes no database."""

import importlib
import importlib.util
import json

import pytest
from django.apps import apps

from inspections import frameworks
from inspections.models import Framework, Question, Standard

migration = importlib.import_module("inspections.migrations.0002_load_frameworks")


def test_the_migration_loads_its_own_copy_which_matches_the_files_it_was_written_from():
    # Nothing in the migration reads the live files: neither the data nor the loader come from them.
    source = importlib.util.find_spec("inspections.migrations.0002_load_frameworks").loader.get_source(
        "inspections.migrations.0002_load_frameworks"
    )
    assert "inspections.frameworks" not in source and "read_framework" not in source
    assert [f["code"] for f in migration.FRAMEWORKS] == ["pdu-2021", "adult-2018", "youth-2018"]


@pytest.mark.django_db
def test_a_later_edit_of_a_framework_file_does_not_change_what_the_migration_loads(tmp_path, monkeypatch):
    # A revised copy of the 2021 framework, as someone might edit the file after the migration ran.
    edited = frameworks.read_framework("pdu-2021.json")
    edited["title"] = "Edited after the migration"
    edited["good_threshold"] = 70
    edited["standards"][4]["key_questions"][0]["text"] = "An edited question"
    for name in frameworks.FRAMEWORK_FILES:
        (tmp_path / name).write_text((frameworks.FRAMEWORK_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "pdu-2021.json").write_text(json.dumps(edited), encoding="utf-8")
    monkeypatch.setattr(frameworks, "FRAMEWORK_DIR", tmp_path)
    assert frameworks.read_framework("pdu-2021.json")["title"] == "Edited after the migration"

    migration.load(apps, schema_editor=None)

    framework = Framework.objects.get(code="pdu-2021")
    frozen = migration.FRAMEWORKS[0]
    assert (framework.title, framework.good_threshold) == (frozen["title"], frozen["good_threshold"])
    question = Question.objects.get(framework=framework, code=frozen["standards"][4]["key_questions"][0]["code"])
    assert question.text == frozen["standards"][4]["key_questions"][0]["text"] != "An edited question"


@pytest.mark.django_db
def test_the_frozen_copy_is_what_every_database_holds():
    for data in migration.FRAMEWORKS:
        framework = Framework.objects.get(code=data["code"])
        assert framework.title == data["title"]
        assert Standard.objects.filter(framework=framework).count() == len(data["standards"])
        asked = sum(1 + len(kq["prompts"]) for s in data["standards"] for kq in s["key_questions"])
        assert Question.objects.filter(framework=framework).count() == asked + len(data["case_wide_prompts"])
