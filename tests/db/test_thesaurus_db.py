"""Admin additions to the thesaurus (issue 12) on SQLite and PostgreSQL: stored, audited, and used
by the next index the catalogue service builds."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlmodel import select

from db import catalogue as catalogue_db
from db.engine import Database
from db.models import AuditEntry
from knowledge.catalogue import load_catalogue_file
from knowledge.thesaurus import Entry, parse_line

DEMO = Path(__file__).resolve().parents[2] / "knowledge" / "data" / "demo_catalogue.csv"


async def test_an_added_field_word_is_stored_audited_and_searched(db: Database) -> None:
    items = [replace(item, aliases=()) for item in load_catalogue_file(DEMO, is_sample=True)]
    with db.session() as s:
        catalogue_db.save_version(session=s, items=items, source_name="demo", imported_by=None, is_sample=True)
    service = catalogue_db.CatalogueService(db)
    assert (await service.ready()).search("走鬼").level == "none"
    entry = parse_line("走鬼、游击摊 = 占用城市道路从事经营活动")
    assert entry is not None
    with db.session() as s:
        catalogue_db.add_thesaurus_word(session=s, entry=entry, actor_person_id=None)
    with db.session() as s:
        assert catalogue_db.thesaurus_words(session=s) == [
            Entry(("走鬼", "游击摊"), ("占用城市道路从事经营活动",), source="管理员添加")
        ]
        audited = s.exec(select(AuditEntry).where(AuditEntry.action == "thesaurus.add")).all()
    assert len(audited) == 1
    result = (await service.ready(force=True)).search("游击摊")
    assert result.found and result.hits[0].item.code == "DEMO-ZH-01"
