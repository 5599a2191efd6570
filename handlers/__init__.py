"""Chat handlers, one module per feature, registered in a fixed, readable order."""

from __future__ import annotations

from telegram.ext import Application

from handlers import access, cases, dispatch, errors, guard, lookup, meetings, notice_failures, reports


def register_all(app: Application) -> None:
    """Group -2: the guard. Group 0: features; conversations before the catch-all text lookup."""
    guard.register(app)
    access.register(app)
    cases.register(app)
    dispatch.register(app)
    meetings.register(app)
    reports.register(app)
    lookup.register(app)  # plain text = lookup: after every conversation that reads text
    access.register_fallbacks(app)
    errors.register(app)
    assert notice_failures.REF_FAIL  # imported for its failure hook: failed notices reach a coordinator
