"""The guard's per-update roster read (no ORM session) sees every committed change at once."""

from __future__ import annotations

from sqlmodel import select

from db.engine import Database
from db.models import Person
from db.people import row_by_telegram_id
from handlers.context import Actor
from tests.e2e.harness import ROSTER, seed_roster


def test_row_by_telegram_id_follows_deactivation_and_binding(db: Database) -> None:
    seed_roster(db)
    row = row_by_telegram_id(db, 1005)
    assert row is not None and row.active is True and row.name == "江南协调员"
    actor = Actor.from_person(row)
    assert (actor.role, actor.zone, actor.street) == ("coordinator", "江南新区", None)
    assert row_by_telegram_id(db, 999_999) is None
    seed_roster(db, tuple(m for m in ROSTER if m.key != "coordinator"))  # re-import without them
    row = row_by_telegram_id(db, 1005)
    assert row is not None and row.active is False
    with db.session() as session:
        person = session.exec(select(Person).where(Person.phone == "13900000010")).one()
        person.telegram_id = 77_777
        session.add(person)
    assert row_by_telegram_id(db, 77_777) is not None
