"""Enqueue outgoing notices. Rows are written in the caller's transaction: a notice exists
exactly when the change that caused it was committed (transactional outbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from db.models import OutboxMessage, OutboxStatus, utcnow


def enqueue(
    *,
    session: Session,
    chat_id: int,
    text: str | None = None,
    person_id: int | None = None,
    method: str = "send_message",
    payload: dict[str, Any] | None = None,
    reply_markup: dict[str, Any] | None = None,
    ref_type: str | None = None,
    ref_id: str | int | None = None,
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
    ref_version: int | None = None,
) -> OutboxMessage | None:
    """Queue one message to one chat. With a dedupe_key already queued, returns None (no twin).

    `payload` holds the Bot API keyword arguments of `method` (e.g. latitude/longitude for
    send_location); `text` and `reply_markup` (an InlineKeyboardMarkup.to_dict()) are shortcuts.
    `ref_version`: the version of what the row announces; the worker drops the row when the
    feature's version lookup (jobs.delivery.register_version_lookup) says it changed since.
    """
    if dedupe_key is not None:
        exists = session.exec(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)).first()
        if exists is not None:
            return None
    body: dict[str, Any] = dict(payload or {})
    if text is not None:
        body["text"] = text
    if reply_markup is not None:
        body["reply_markup"] = reply_markup
    row = OutboxMessage(
        chat_id=chat_id,
        person_id=person_id,
        method=method,
        payload=body,
        ref_type=ref_type,
        ref_id=None if ref_id is None else str(ref_id),
        dedupe_key=dedupe_key,
        next_attempt_at=not_before or utcnow(),
        ref_version=ref_version,
    )
    session.add(row)
    return row


def pending_count(*, session: Session) -> int:
    query = select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])  # type: ignore[attr-defined]
    )
    return int(session.exec(query).one())


def for_ref(*, session: Session, ref_type: str, ref_id: str | int) -> list[OutboxMessage]:
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.ref_type == ref_type, OutboxMessage.ref_id == str(ref_id))
        .order_by(OutboxMessage.id)
    )
    return list(session.exec(query).all())
