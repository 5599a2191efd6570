"""Catalogue versions (each import is kept, dated) and what officers taught the search.

A lookup answers from the newest version; a case lead answers from the version in force on its
own date (`version_as_of`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Field, Session, SQLModel, select

from db import audit
from db.engine import Database
from db.models import utcnow
from knowledge.catalogue import CatalogueItem, ItemClass, ItemStatus
from knowledge.search import SearchIndex
from knowledge.thesaurus import Entry, load_entries, split_words

log = logging.getLogger(__name__)
_SEP = "\u001f"  # unit separator: never typed in names or aliases


class CatalogueVersion(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    imported_at: datetime = Field(default_factory=utcnow, index=True)
    imported_by: int | None = Field(default=None, foreign_key="person.id")
    source_name: str = Field(max_length=200)
    is_sample: bool = False
    item_count: int = 0


class CatalogueEntry(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="catalogueversion.id", index=True)
    code: str = Field(max_length=64)
    name: str = Field(max_length=500)
    item_class: str = Field(max_length=8)
    department: str = Field(max_length=100)
    legal_basis: str = Field(default="", max_length=4000)
    scope: str = Field(default="", max_length=200)
    status: str = Field(max_length=8)
    effective_from: date
    withdrawn_on: date | None = None
    aliases: str = Field(default="", max_length=2000)
    is_sample: bool = False


class ThesaurusWord(SQLModel, table=True):
    """An admin's addition to the field-word thesaurus (the reviewed list ships in knowledge/data)."""

    id: int | None = Field(default=None, primary_key=True)
    field_words: str = Field(max_length=300)  # separated by ;
    legal_words: str = Field(max_length=300)
    added_by: int | None = Field(default=None, foreign_key="person.id")
    added_at: datetime = Field(default_factory=utcnow)


class LearnedAlias(SQLModel, table=True):
    """A query an officer typed, then resolved by picking a suggestion; admins may promote it."""

    id: int | None = Field(default=None, primary_key=True)
    query: str = Field(max_length=64, index=True)
    item_code: str = Field(max_length=64)
    times: int = 1
    first_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    promoted: bool = False
    promoted_at: datetime | None = None


def to_entry(item: CatalogueItem, version_id: int) -> CatalogueEntry:
    return CatalogueEntry(
        version_id=version_id, code=item.code, name=item.name, item_class=item.item_class.value,
        department=item.department, legal_basis=item.legal_basis, scope=_SEP.join(sorted(item.scope)),
        status=item.status.value, effective_from=item.effective_from, withdrawn_on=item.withdrawn_on,
        aliases=_SEP.join(item.aliases), is_sample=item.is_sample,
    )


def to_item(entry: CatalogueEntry, extra_aliases: tuple[str, ...] = ()) -> CatalogueItem:
    return CatalogueItem(
        code=entry.code, name=entry.name, item_class=ItemClass(entry.item_class), department=entry.department,
        legal_basis=entry.legal_basis, scope=frozenset(s for s in entry.scope.split(_SEP) if s),
        status=ItemStatus(entry.status), effective_from=entry.effective_from, withdrawn_on=entry.withdrawn_on,
        aliases=tuple(a for a in entry.aliases.split(_SEP) if a) + extra_aliases, is_sample=entry.is_sample,
    )


def save_version(
    *, session: Session, items: list[CatalogueItem], source_name: str, imported_by: int | None, is_sample: bool
) -> CatalogueVersion:
    """Store a new dated version holding every item of the import (all or nothing: one transaction)."""
    version = CatalogueVersion(source_name=source_name[:200], imported_by=imported_by, is_sample=is_sample,
                               item_count=len(items))
    session.add(version)
    session.flush()
    assert version.id is not None
    session.add_all([to_entry(item, version.id) for item in items])
    audit.record(session=session, actor_person_id=imported_by, actor_telegram_id=None, action="catalogue.import",
                 entity_type="catalogue", entity_id=version.id,
                 after={"source": source_name, "items": len(items), "sample": is_sample})
    return version


def latest_version(*, session: Session) -> CatalogueVersion | None:
    return session.exec(select(CatalogueVersion).order_by(CatalogueVersion.id.desc())).first()  # type: ignore[union-attr]


def latest_version_id(*, session: Session) -> int | None:
    return session.exec(select(func.max(CatalogueVersion.id))).one()


def version_as_of(*, session: Session, moment: datetime) -> CatalogueVersion | None:
    """The version in force at `moment` (the newest imported before it), else the oldest one."""
    found = session.exec(
        select(CatalogueVersion).where(CatalogueVersion.imported_at <= moment).order_by(CatalogueVersion.id.desc())  # type: ignore[union-attr]
    ).first()
    return found or session.exec(select(CatalogueVersion).order_by(CatalogueVersion.id)).first()


def items_of(*, session: Session, version_id: int) -> list[CatalogueItem]:
    promoted = promoted_aliases(session=session)
    entries = session.exec(select(CatalogueEntry).where(CatalogueEntry.version_id == version_id).order_by(CatalogueEntry.id)).all()
    return [to_item(e, tuple(promoted.get(e.code, ()))) for e in entries]


def add_thesaurus_word(*, session: Session, entry: Entry, actor_person_id: int | None) -> ThesaurusWord:
    row = ThesaurusWord(field_words=";".join(entry.field_words)[:300], legal_words=";".join(entry.legal_words)[:300],
                        added_by=actor_person_id)
    session.add(row)
    session.flush()
    audit.record(session=session, actor_person_id=actor_person_id, actor_telegram_id=None, action="thesaurus.add",
                 entity_type="thesaurus_word", entity_id=row.id,
                 after={"field": row.field_words, "legal": row.legal_words})
    return row


def thesaurus_words(*, session: Session) -> list[Entry]:
    """Admin additions, oldest first, as thesaurus entries."""
    rows = session.exec(select(ThesaurusWord).order_by(ThesaurusWord.id)).all()  # type: ignore[arg-type]
    return [Entry(split_words(r.field_words), split_words(r.legal_words), source="管理员添加") for r in rows]


def promoted_aliases(*, session: Session) -> dict[str, list[str]]:
    rows = session.exec(select(LearnedAlias).where(LearnedAlias.promoted == True)).all()  # noqa: E712
    result: dict[str, list[str]] = {}
    for row in rows:
        result.setdefault(row.item_code, []).append(row.query)
    return result


def learn(*, session: Session, query: str, item_code: str, person_id: int | None) -> LearnedAlias:
    """Remember that `query` meant `item_code` (an officer picked it after an unsure answer)."""
    query = query.strip()[:64]
    row = session.exec(select(LearnedAlias).where(LearnedAlias.query == query, LearnedAlias.item_code == item_code)).first()
    if row is None:
        row = LearnedAlias(query=query, item_code=item_code, first_by=person_id)
    else:
        row.times += 1
    session.add(row)
    return row


def learned_pending(*, session: Session, limit: int = 10) -> list[LearnedAlias]:
    query = (
        select(LearnedAlias).where(LearnedAlias.promoted == False)  # noqa: E712
        .order_by(LearnedAlias.times.desc(), LearnedAlias.id).limit(limit)  # type: ignore[attr-defined]
    )
    return list(session.exec(query).all())


def promote(*, session: Session, alias_id: int, actor_person_id: int | None) -> LearnedAlias | None:
    row = session.get(LearnedAlias, alias_id)
    if row is None or row.promoted:
        return None
    row.promoted = True
    row.promoted_at = utcnow()
    session.add(row)
    audit.record(session=session, actor_person_id=actor_person_id, actor_telegram_id=None, action="alias.promote",
                 entity_type="catalogue_alias", entity_id=alias_id, after={"query": row.query, "code": row.item_code})
    return row


@dataclass(frozen=True)
class _Snapshot:
    """A catalogue version as read from the database: what one index is built from."""

    version: CatalogueVersion | None
    items: list[CatalogueItem]
    thesaurus: list[Entry]


class CatalogueService:
    """The current catalogue and its search index, rebuilt when a newer version appears.

    A version imported by the CLI in another process is noticed within a second (one cheap
    `max(id)` query at most once per CHECK_SECONDS); imports in the bot itself refresh at once.
    In the bot (`ready`), the index is built in a worker thread: 2.5 s at 10,000 items would
    otherwise stall every user's updates.
    """

    CHECK_SECONDS = 1.0

    def __init__(self, db: Database) -> None:
        self.db = db
        self._checked_at = -1e9
        self._loaded = False
        self._building: asyncio.Task[None] | None = None
        self.version: CatalogueVersion | None = None
        self.items: list[CatalogueItem] = []
        self.by_code: dict[str, CatalogueItem] = {}
        self.position_of: dict[str, int] = {}  # code -> position in items (buttons address items by position)
        self.index: SearchIndex = SearchIndex([], thesaurus=[])  # nothing to search yet: no thesaurus tables

    def _stale(self, *, force: bool) -> bool:
        """A newer version than the one installed? (at most one cheap query per CHECK_SECONDS)"""
        now = time.monotonic()
        if not force and self._loaded and now - self._checked_at < self.CHECK_SECONDS:
            return False
        self._checked_at = now
        if force or not self._loaded:
            return True
        with self.db.session() as session:
            return latest_version_id(session=session) != (self.version.id if self.version else None)

    def _load(self) -> tuple[_Snapshot, SearchIndex]:
        """The newest version and its index (10,000 items: ~0.5 s to read, ~2.5 s to index)."""
        with self.db.session() as session:
            version = latest_version(session=session)
            items = items_of(session=session, version_id=version.id) if version and version.id else []
            added = thesaurus_words(session=session)
        snapshot = _Snapshot(version, items, [*load_entries(), *added])
        return snapshot, SearchIndex(snapshot.items, thesaurus=snapshot.thesaurus)

    def _install(self, snapshot: _Snapshot, index: SearchIndex) -> None:
        """Items, positions, version and index change together: a button never meets another version's items."""
        self.version = snapshot.version
        self.items = snapshot.items
        self.by_code = {item.code: item for item in snapshot.items}
        self.position_of = {item.code: position for position, item in enumerate(snapshot.items)}
        self.index = index
        self._loaded = True
        gc.freeze()  # the index lives until the next import: keep full collections from walking it

    def refresh(self, *, force: bool = False) -> None:
        """Build in the calling thread, as the bot once did on its event loop (bench.index_rebuild's baseline)."""
        if self._stale(force=force):
            self._install(*self._load())

    async def ready(self, *, force: bool = False) -> SearchIndex:
        """The index to answer with, for the event loop. A newer version is built in a worker thread
        while the installed one keeps answering; the first build, and one that an admin's own change
        asks for (force), are awaited (the loop serves other users meanwhile)."""
        if force and self._building is not None:
            with contextlib.suppress(Exception):  # an older snapshot: let it end, then read again
                await asyncio.shield(self._building)
        if self._building is None and self._stale(force=force):
            self._building = asyncio.create_task(self._build())
            self._building.add_done_callback(_log_failed_build)
        building = self._building
        if building is not None and (force or not self._loaded):
            await asyncio.shield(building)
        return self.index

    async def _build(self) -> None:
        try:
            self._install(*await asyncio.to_thread(self._load))
        finally:
            self._building = None


def _log_failed_build(task: asyncio.Task[None]) -> None:
    """A build nobody awaited fails in the background: say so (the installed index keeps answering)."""
    if not task.cancelled() and task.exception() is not None:
        log.error("search index build failed: %s", type(task.exception()).__name__)
