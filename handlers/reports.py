"""Chat handlers of this feature (filled by its issue)."""

from __future__ import annotations

from telegram.ext import Application


def register(app: Application) -> None:
    """Add this feature's handlers to group 0."""
