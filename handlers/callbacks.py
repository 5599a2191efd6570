"""Callback data codec: short ASCII `feature:action:id:version`, at most 64 bytes.

Buttons are client-controlled input: decode never trusts them, and every handler re-loads the
entity and re-checks the pressing user's right to act on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PART = re.compile(r"^[A-Za-z0-9_.\-]{0,40}$")
MAX_BYTES = 64


@dataclass(frozen=True)
class Callback:
    feature: str
    action: str
    ident: str = ""
    version: str = ""

    def encode(self) -> str:
        data = ":".join((self.feature, self.action, self.ident, self.version)).rstrip(":")
        if len(data.encode()) > MAX_BYTES or not all(_PART.match(p) for p in (self.feature, self.action, self.ident, self.version)):
            raise ValueError(f"callback data not encodable: {data!r}")
        return data


def encode(feature: str, action: str, ident: str | int = "", version: str | int = "") -> str:
    return Callback(feature, action, str(ident), str(version)).encode()


def decode(data: str | None) -> Callback | None:
    """Parse callback data; None for anything malformed (forged, truncated, too long)."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    parts = data.split(":")
    if len(parts) < 2 or len(parts) > 4 or not all(_PART.match(p) for p in parts) or not parts[0] or not parts[1]:
        return None
    parts += [""] * (4 - len(parts))
    return Callback(*parts)


def pattern(feature: str) -> str:
    """Regex for CallbackQueryHandler(pattern=...) of one feature."""
    return rf"^{re.escape(feature)}:"
