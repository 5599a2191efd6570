"""Import every table module so SQLModel.metadata is complete (for Alembic and tests)."""

from __future__ import annotations

from db import actions, boundaries, cases, catalogue, meetings, models, reports  # noqa: F401

METADATA = models.METADATA
