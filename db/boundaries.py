"""Street polygons an admin imported (`bot.py import-boundaries`); the newest set is used.

No official street polygons are public, so without an import the case flow proposes the reporter's
own street; with one, the polygon's street.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, Session, SQLModel, select

from db import audit
from db.models import utcnow


class StreetBoundarySet(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    imported_at: datetime = Field(default_factory=utcnow)
    source_name: str = Field(max_length=200)
    geojson: str  # WGS84 FeatureCollection, as knowledge.geo.StreetBoundaries.to_geojson() wrote it


def save(*, session: Session, geojson: str, source_name: str) -> StreetBoundarySet:
    row = StreetBoundarySet(geojson=geojson, source_name=source_name[:200])
    session.add(row)
    session.flush()
    audit.record(session=session, actor_person_id=None, actor_telegram_id=None, action="boundaries.import",
                 entity_type="boundaries", entity_id=row.id or 0, after={"source": source_name})
    return row


def latest(*, session: Session) -> StreetBoundarySet | None:
    return session.exec(select(StreetBoundarySet).order_by(StreetBoundarySet.id.desc())).first()  # type: ignore[union-attr]
