"""A notice that cannot be delivered reaches someone who can act (issue 13.5).

The delivery worker marks a row `failed` on 403 (blocked, or a chat its user never opened) and
400, and after its last retry. Joint-action notices have their own hook (the board shows
发送失败); every other notice lands here: the coordinator of the zone is told, else an admin, and
for a lead the reporter learns that the handler did not get it. A lead none of whose handlers
can be reached is flagged in /cases.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlmodel import Session, select

import texts
from db import cases as lead_db
from db import outbox
from db import people as people_db
from db.cases import Lead
from db.models import OutboxMessage, OutboxStatus, Person
from handlers.common import esc
from jobs.delivery import register_default_failure_hook

log = logging.getLogger(__name__)

REF_FAIL = "delivery.fail"  # the failure notices themselves: when one fails too, it is only logged
WHAT = {"meeting": texts.DLV_WHAT_MEETING, "decision": texts.DLV_WHAT_DECISION, "person": texts.DLV_WHAT_CERT}


def failure_reason(error: str | None) -> str:
    """The worker's `last_error` in words a coordinator can act on."""
    text = (error or "").lower()
    if "blocked" in text:
        return texts.DLV_WHY_BLOCKED
    if "initiate" in text or "chat not found" in text or "user not found" in text:
        return texts.DLV_WHY_NOT_STARTED
    return texts.DLV_WHY_OTHER


def _zone_and_lead(session: Session, row: OutboxMessage, person: Person | None) -> tuple[str | None, Lead | None]:
    if row.ref_type == "lead" and row.ref_id:
        lead = lead_db.by_number(session=session, number=row.ref_id)
        if lead is not None:
            return lead.zone, lead
    if row.ref_type == "dispatch.coord" and (row.ref_id or "").isdigit():
        from db.actions import JointAction

        action = session.get(JointAction, int(row.ref_id or 0))
        if action is not None and action.zone:
            return action.zone, None
    return (person.zone if person else None), None


def on_failed(session: Session, row: OutboxMessage) -> None:
    """Tell the zone's coordinator (else an admin), and a lead's reporter, that a notice failed."""
    if row.ref_type == REF_FAIL:
        log.warning("failure notice %s could not be delivered either: %s", row.id, row.last_error)
        return
    person = session.get(Person, row.person_id) if row.person_id is not None else None
    if person is not None and not person.active:
        return  # left the roster: nobody needs to reach them
    zone, lead = _zone_and_lead(session, row, person)
    name = esc(person.name) if person else str(row.chat_id)
    why = failure_reason(row.last_error)
    what = texts.DLV_WHAT_LEAD.format(number=lead.number) if lead else WHAT.get(row.ref_type or "", texts.DLV_WHAT_OTHER)
    targets = people_db.who_can_act(session=session, zone=zone, exclude={row.person_id} if row.person_id else set())
    for target in targets:
        outbox.enqueue(session=session, chat_id=target.telegram_id or 0, person_id=target.id,
                       text=texts.DLV_FAILED.format(name=name, why=why, what=what),
                       ref_type=REF_FAIL, ref_id=row.id, dedupe_key=f"fail:{row.id}:{target.id}")
    if not targets:
        log.warning("notice %s to person %s failed and nobody can be told (no coordinator or admin bound)",
                    row.id, row.person_id)
    if lead is not None and ":route:" in (row.dedupe_key or ""):
        reporter = session.get(Person, lead.reporter_id)
        if reporter is not None and reporter.id != row.person_id and reporter.active and reporter.telegram_id:
            who = "、".join(esc(t.name) for t in targets) or texts.CASE_NOBODY
            outbox.enqueue(session=session, chat_id=reporter.telegram_id, person_id=reporter.id,
                           text=texts.DLV_FAILED_LEAD_REPORTER.format(number=lead.number, name=name, why=why, who=who),
                           ref_type=REF_FAIL, ref_id=row.id, dedupe_key=f"fail:{row.id}:reporter")


register_default_failure_hook(on_failed)


def alert_if_unreached(session: Session, lead: Lead, handlers: Sequence[Person]) -> str:
    """At filing: when no handler can get the notice at all (unbound, deactivated, nobody on the
    roster), tell the zone's coordinator (else an admin) now; returns the line for the reporter."""
    if any(people_db.can_be_notified(p) for p in handlers):
        return ""
    targets = people_db.who_can_act(session=session, zone=lead.zone, exclude={lead.reporter_id})
    listed = "、".join(esc(p.name) for p in handlers) or texts.CASE_NOBODY
    for target in targets:
        outbox.enqueue(session=session, chat_id=target.telegram_id or 0, person_id=target.id,
                       text=texts.DLV_LEAD_NOBODY.format(number=lead.number, street=esc(lead.street),
                                                         item=esc(lead.item_name or ""), names=listed),
                       ref_type=REF_FAIL, ref_id=lead.number, dedupe_key=f"lead:{lead.id}:nobody:{target.id}")
    if not targets:
        return texts.CASE_NOBODY_REACHABLE_NO_ONE
    return texts.CASE_NOBODY_REACHABLE.format(who="、".join(esc(p.name) for p in targets))


def unreached_leads(session: Session, leads: Sequence[Lead]) -> set[int]:
    """Ids of open leads none of whose handlers can be reached: each is unbound, deactivated or
    its notice failed (and none went through). /cases flags them."""
    from knowledge.cases import TERMINAL_STATES, LeadState

    open_leads = [lead for lead in leads if LeadState(lead.state) not in TERMINAL_STATES]
    if not open_leads:
        return set()
    ids = sorted({pid for lead in open_leads for pid in lead.routed_to})
    people = lead_db.people_by_id(session=session, ids=ids)
    rows = session.exec(select(OutboxMessage.ref_id, OutboxMessage.person_id, OutboxMessage.status).where(
        OutboxMessage.ref_type == "lead", OutboxMessage.ref_id.in_([lead.number for lead in open_leads]),  # type: ignore[union-attr]
        OutboxMessage.person_id.in_(ids or [0]))).all()  # type: ignore[union-attr]
    statuses: dict[tuple[str, int], set[str]] = {}
    for ref_id, person_id, status in rows:
        statuses.setdefault((ref_id or "", person_id or 0), set()).add(status)
    flagged = set()
    for lead in open_leads:
        def reachable(pid: int, number: str = lead.number) -> bool:
            person = people.get(pid)
            if person is None or not people_db.can_be_notified(person):
                return False
            seen = statuses.get((number, pid), set())
            return not seen or seen != {OutboxStatus.FAILED} and seen != {OutboxStatus.FAILED, OutboxStatus.CANCELLED}
        if not any(reachable(pid) for pid in lead.routed_to):
            flagged.add(lead.id or 0)
    return flagged
