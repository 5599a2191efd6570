"""Tables and queries of this feature (filled by its issue)."""

from __future__ import annotations
