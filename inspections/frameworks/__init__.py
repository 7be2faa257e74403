"""Framework definitions as data: one JSON file per framework, the readable source of each.

Migrations never read these files: migration 0002 loaded a frozen copy of them
(inspections/migrations/_frameworks_0002.py) with its own copy of the loader, so
an edit here changes no database. A framework revision is a new file and a new
framework record, loaded by a new data migration with its own frozen copy.
"""

import json
from pathlib import Path

FRAMEWORK_DIR = Path(__file__).resolve().parent
FRAMEWORK_FILES = ["pdu-2021.json", "adult-2018.json", "youth-2018.json"]


def read_framework(filename: str) -> dict:
    return json.loads((FRAMEWORK_DIR / filename).read_text(encoding="utf-8"))
