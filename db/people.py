"""Roster queries: import with diff, binding Telegram accounts, invites."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import NamedTuple

from sqlmodel import Session, select

import texts
from db import audit
from db.engine import Database
from db.models import Invite, Person, Role, utcnow
from knowledge.roster import RosterRow
from knowledge.tables import TableFileError

ROSTER_FIELDS = ("name", "role", "street", "zone", "department", "certificate_no", "certificate_expires")
INVITE_DAYS = 7


@dataclass
class RosterDiff:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """新增 … 更新 … 停用 … 未变 …: the line the CLI, the preview and the import reply share."""
        return texts.ROSTER_SUMMARY.format(added=len(self.added), updated=len(self.updated),
                                           deactivated=len(self.deactivated), unchanged=len(self.unchanged))


class RosterConflict(TableFileError):
    """The file gives a Telegram account to someone while another active person on the roster
    keeps it; `.errors` name the row and the column (nothing is written)."""


def _keep_the_importer(rows: list[RosterRow], existing: dict[str, Person], actor: int | None) -> None:
    """An admin importing in the chat must be in the file: missing, they would be deactivated by
    their own import and lose the chat administration (only the CLI could repair it)."""
    importer = next((p for p in existing.values() if p.id == actor), None) if actor is not None else None
    if importer is not None and importer.active and all(row.phone != importer.phone for row in rows):
        raise RosterConflict([texts.ROSTER_IMPORTER_MISSING.format(name=importer.name)])


def _free_accounts(session: Session, rows: list[RosterRow], existing: dict[str, Person], actor: int | None) -> None:
    """Each telegram_id in the file must belong to that row's person once written.

    An account held by someone who has left (inactive, or missing from this file and so about to
    be deactivated) moves to the new row, as binding by contact does. One held by an active person
    who stays on the roster is a mistake in the file: refuse with row and column instead of
    letting the unique index abort the import with a database error.
    """
    holders = {p.telegram_id: p for p in existing.values() if p.telegram_id is not None}
    staying = {row.phone for row in rows}
    errors: list[str] = []
    moved: list[Person] = []
    for row in rows:
        holder = holders.get(row.telegram_id) if row.telegram_id is not None else None
        if holder is None or holder.phone == row.phone:
            continue
        if holder.active and holder.phone in staying:
            errors.append(texts.FILE_CELL_ERROR.format(
                row=row.line or "?", column="telegram_id",
                message=texts.ROSTER_TG_TAKEN.format(value=row.telegram_id, name=holder.name)))
        else:
            moved.append(holder)
    if errors:
        raise RosterConflict(errors)
    for holder in moved:
        _audit(session, actor, "roster.unbind", holder, {"telegram_id": holder.telegram_id}, {"telegram_id": None})
        holder.telegram_id = None
        holder.updated_at = utcnow()
        session.add(holder)
    if moved:
        session.flush()


def apply_roster(*, session: Session, rows: list[RosterRow], actor_person_id: int | None, dry_run: bool) -> RosterDiff:
    """Update people by phone, add new ones, deactivate the missing (never delete).

    Raises RosterConflict (row and column) when the file gives an active person's Telegram
    account to someone else."""
    diff = RosterDiff()
    existing = {p.phone: p for p in session.exec(select(Person)).all()}
    _keep_the_importer(rows, existing, actor_person_id)
    _free_accounts(session, rows, existing, actor_person_id)
    seen: set[str] = set()
    for row in rows:
        seen.add(row.phone)
        person = existing.get(row.phone)
        if person is None:
            diff.added.append(row.name)
            if not dry_run:
                wanted = {f: getattr(row, f) for f in ROSTER_FIELDS}
                person = Person(phone=row.phone, telegram_id=row.telegram_id, **wanted)
                session.add(person)
                session.flush()
                _audit(session, actor_person_id, "roster.add", person, None, wanted)
            continue
        # Only what the file has a column for: a file without 执法证号 keeps everyone's certificate.
        wanted = {f: getattr(row, f) for f in ROSTER_FIELDS if f in row.given}
        before = {f: getattr(person, f) for f in wanted} | {"active": person.active}
        after = wanted | {"active": True}
        tg_change = row.telegram_id is not None and row.telegram_id != person.telegram_id
        if before == after and not tg_change:
            diff.unchanged.append(row.name)
            continue
        diff.updated.append(row.name)
        if not dry_run:
            for key, value in after.items():
                setattr(person, key, value)
            if tg_change:
                person.telegram_id = row.telegram_id
            person.updated_at = utcnow()
            session.add(person)
            _audit(session, actor_person_id, "roster.update", person, before, after)
    for phone, person in existing.items():
        if phone not in seen and person.active:
            diff.deactivated.append(person.name)
            if not dry_run:
                person.active = False
                person.updated_at = utcnow()
                session.add(person)
                _audit(session, actor_person_id, "roster.deactivate", person, {"active": True}, {"active": False})
    if dry_run:
        session.rollback()
    return diff


def by_telegram_id(*, session: Session, telegram_id: int) -> Person | None:
    return session.exec(select(Person).where(Person.telegram_id == telegram_id)).first()


def by_phone(*, session: Session, phone: str) -> Person | None:
    return session.exec(select(Person).where(Person.phone == phone)).first()


def has_active_admin(*, session: Session) -> bool:
    """Does the roster hold an active admin? Then ADMIN_TELEGRAM_IDS no longer upgrades anyone."""
    return session.exec(select(Person.id).where(Person.role == "admin", Person.active == True)).first() is not None  # noqa: E712


def bind(*, session: Session, person: Person, telegram_id: int, how: str) -> None:
    """Attach a Telegram account to a roster entry; an account bound elsewhere is moved."""
    previous = by_telegram_id(session=session, telegram_id=telegram_id)
    if previous is not None and previous.id != person.id:
        previous.telegram_id = None
        session.add(previous)
        session.flush()
    before = {"telegram_id": person.telegram_id}
    person.telegram_id = telegram_id
    person.activated_at = person.activated_at or utcnow()
    person.updated_at = utcnow()
    session.add(person)
    audit.record(
        session=session, actor_person_id=person.id, actor_telegram_id=telegram_id, action=f"bind.{how}",
        entity_type="person", entity_id=person.id or 0, before=before, after={"telegram_id": telegram_id},
    )


def create_invite(*, session: Session, phone: str, created_by: int | None) -> Invite:
    invite = Invite(
        token=secrets.token_urlsafe(12), phone=phone, created_by=created_by,
        expires_at=utcnow() + timedelta(days=INVITE_DAYS),
    )
    session.add(invite)
    audit.record(
        session=session, actor_person_id=created_by, actor_telegram_id=None, action="invite.create",
        entity_type="invite", entity_id=invite.token[:6], after={"phone": phone},
    )
    return invite


def use_invite(*, session: Session, token: str, telegram_id: int) -> Person | None:
    """Bind by a valid, unused, unexpired invite; None when the invite cannot be used."""
    invite = session.get(Invite, token)
    if invite is None or invite.used_at is not None or invite.expires_at <= utcnow():
        return None
    person = by_phone(session=session, phone=invite.phone)
    if person is None or not person.active:
        return None
    invite.used_at = utcnow()
    invite.used_by_telegram_id = telegram_id
    session.add(invite)
    bind(session=session, person=person, telegram_id=telegram_id, how="invite")
    return person


def active_people(*, session: Session) -> list[Person]:
    return list(session.exec(select(Person).where(Person.active == True).order_by(Person.id)).all())  # noqa: E712


def _audit(session: Session, actor: int | None, action: str, person: Person, before: dict | None, after: dict | None) -> None:
    audit.record(
        session=session, actor_person_id=actor, actor_telegram_id=None, action=action,
        entity_type="person", entity_id=person.id or 0, before=before, after=after,
    )


class PersonRow(NamedTuple):
    """The roster fields the guard needs for every update, read without an ORM session."""

    id: int
    telegram_id: int
    name: str
    role: str
    street: str | None
    zone: str | None
    department: str | None
    active: bool
    activated: bool  # has written to the bot (else shown as 未激活 in routing)


_ROW_BY_TELEGRAM_ID = (
    "SELECT id, telegram_id, name, role, street, zone, department, active, activated_at IS NOT NULL"
    " FROM person WHERE telegram_id = ?"
)


def row_by_telegram_id(db: Database, telegram_id: int) -> PersonRow | None:
    """The guard's per-update read: a plain query (no session), so a deactivation or a new binding
    by another process counts on the very next update, with no cache to invalidate."""
    row = db.fetch_one(_ROW_BY_TELEGRAM_ID, (telegram_id,))
    return None if row is None else PersonRow(*row[:7], active=bool(row[7]), activated=bool(row[8]))


# ---------------------------------------------------------------- reachability (issue 13.5, 13.7)

REACHABLE = "ok"
UNBOUND = "unbound"  # no Telegram account on the roster entry
NOT_STARTED = "not_started"  # a telegram_id from the import, but the person never wrote to the bot: 未激活
INACTIVE = "inactive"  # deactivated in the roster


def can_be_notified(person: Person) -> bool:
    """A notice to this person can go out now (未激活 included: the import gave their account)."""
    return reach(person) in (REACHABLE, NOT_STARTED)


def reach(person: Person) -> str:
    """Can the bot message this person? Telegram refuses (403) a chat its user never opened."""
    if not person.active:
        return INACTIVE
    if person.telegram_id is None:
        return UNBOUND
    if person.activated_at is None:
        return NOT_STARTED
    return REACHABLE


def mark_activated_by_id(db: Database, person_id: int) -> None:
    """Once, the first time an active person writes to the bot (the guard's hot path stays a plain read)."""
    with db.session() as session:
        person = session.get(Person, person_id)
        if person is not None:
            mark_activated(session=session, person=person)


def mark_activated(*, session: Session, person: Person) -> bool:
    """The person wrote to the bot (or a message to them went through): their chat is open.
    Written once; returns True when this call set it."""
    if person.activated_at is not None:
        return False
    person.activated_at = utcnow()
    session.add(person)
    return True


def who_can_act(*, session: Session, zone: str | None, exclude: set[int] | None = None) -> list[Person]:
    """Who is told when a notice cannot be delivered: the zone's coordinators, else the admins;
    people known to have opened the bot first, then bound ones not yet seen (未激活); never the
    person the notice failed for."""
    exclude = exclude or set()
    query = select(Person).where(Person.active == True, Person.telegram_id != None,  # noqa: E711, E712
                                 Person.role.in_([Role.COORDINATOR, Role.ADMIN]))  # type: ignore[attr-defined]
    candidates = [p for p in session.exec(query.order_by(Person.id)).all() if p.id not in exclude]
    coordinators = [p for p in candidates if p.role == Role.COORDINATOR and zone is not None and p.zone == zone]
    admins = [p for p in candidates if p.role == Role.ADMIN]
    for group in (coordinators, admins):
        opened = [p for p in group if reach(p) == REACHABLE]
        if opened:
            return opened
    return coordinators or admins
