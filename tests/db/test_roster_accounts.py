"""Issue 13 item 13 (database side): a roster file that gives a Telegram account still held by
another active person is refused with row and column, never with a raw database error; an
account held by someone who left moves to the new row."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from db import people
from db.engine import Database
from db.models import AuditEntry, Person
from knowledge.roster import RosterRow


def row(phone: str, name: str, tg: int | None = None, line: int = 0) -> RosterRow:
    return RosterRow(name=name, phone=phone, role="officer", street="浮桥街道", zone="江南新区", department=None,
                     certificate_no=None, certificate_expires=date(2030, 1, 1), telegram_id=tg, line=line)


def test_account_of_an_active_person_is_refused_with_row_and_column(db: Database) -> None:
    with db.session() as s:
        people.apply_roster(session=s, rows=[row("13800000001", "张三", tg=77)], actor_person_id=None, dry_run=False)
    for dry_run in (True, False):
        with pytest.raises(people.RosterConflict) as raised, db.session() as s:
            people.apply_roster(session=s, rows=[row("13800000001", "张三", line=2), row("13800000002", "李四", tg=77, line=3)],
                                actor_person_id=None, dry_run=dry_run)
        assert raised.value.errors == ["第 3 行「telegram_id」列：telegram_id 77 已绑定到名册中的另一人（张三），请核对后再导入。"]
    with db.session() as s:  # nothing written
        everyone = s.exec(select(Person)).all()
        assert [(p.name, p.telegram_id) for p in everyone] == [("张三", 77)]


def test_account_of_someone_who_left_moves_to_the_new_row(db: Database) -> None:
    with db.session() as s:
        people.apply_roster(session=s, rows=[row("13800000001", "张三", tg=77)], actor_person_id=None, dry_run=False)
    with db.session() as s:  # 张三 changed his phone number: new row with his account, old row gone
        diff = people.apply_roster(session=s, rows=[row("13800000009", "张三", tg=77, line=2)], actor_person_id=None,
                                   dry_run=False)
    assert (diff.added, diff.deactivated) == (["张三"], ["张三"])
    with db.session() as s:
        by_phone = {p.phone: p for p in s.exec(select(Person)).all()}
        assert by_phone["13800000009"].telegram_id == 77 and by_phone["13800000009"].active
        assert by_phone["13800000001"].telegram_id is None and not by_phone["13800000001"].active
        assert "roster.unbind" in [a.action for a in s.exec(select(AuditEntry)).all()]
