"""Operator commands behind bot.py: catalogue and boundary imports, export, backup.

Each returns the process exit status and prints Chinese messages; a bad file writes nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from config import Settings

NOT_YET = "该功能尚未实现。"


def ensure_reference_data(settings: Settings) -> None:
    """Make sure a fresh database holds the confirmed item (and the sample list when asked)."""


def import_catalogue(settings: Settings, path: Path, *, dry_run: bool, sample: bool) -> int:
    print(NOT_YET, file=sys.stderr)
    return 2


def import_boundaries(settings: Settings, path: Path) -> int:
    print(NOT_YET, file=sys.stderr)
    return 2


def export(settings: Settings, since: str, until: str, out: Path) -> int:
    print(NOT_YET, file=sys.stderr)
    return 2


def backup(settings: Settings, out: Path) -> int:
    print(NOT_YET, file=sys.stderr)
    return 2
