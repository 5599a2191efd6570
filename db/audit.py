"""Append-only audit trail: who changed what, when, before and after."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from db.models import AuditEntry


def record(
    *,
    session: Session,
    actor_person_id: int | None,
    actor_telegram_id: int | None,
    action: str,
    entity_type: str,
    entity_id: str | int,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one audit row in the caller's transaction, so it commits with the change itself."""
    entry = AuditEntry(
        actor_person_id=actor_person_id,
        actor_telegram_id=actor_telegram_id,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=_jsonable(before),
        after=_jsonable(after),
    )
    session.add(entry)
    return entry


def history(*, session: Session, entity_type: str, entity_id: str | int) -> list[AuditEntry]:
    """All entries of one entity, oldest first."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == str(entity_id))
        .order_by(AuditEntry.id)
    )
    return list(session.exec(query).all())


def _jsonable(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    return {key: (value if isinstance(value, str | int | float | bool | type(None)) else str(value)) for key, value in data.items()}
