"""Case leads in the chat: the catalogue as the flow sees it, cards, keyboards and notices.

Kept apart from the conversation code so the filing flow, the lifecycle buttons and the clock
reminders render a lead the same way, and enqueue notices the same way (outbox, in the caller's
transaction).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

import texts
from db import cases as lead_db
from db import outbox
from db import people as people_db
from db.cases import Lead
from db.models import Person
from handlers import lookup
from handlers.callbacks import encode
from handlers.common import esc
from handlers.context import Actor, BotContext
from knowledge.cases import Basis, Consequence, LeadState, consequence, route
from knowledge.catalogue import CatalogueItem, status_at
from knowledge.search import SearchIndex

log = logging.getLogger(__name__)

FEATURE = "lead"
ITEM_CHOICES = 4
BUTTON_NAME_CHARS = 22


# ---------------------------------------------------------------- catalogue as the flow sees it


@dataclass
class CatalogueView:
    """The current catalogue version as a lead records it, with the lookup's search index."""

    items: list[CatalogueItem]
    index: SearchIndex
    version: str | None = None
    published: date | None = None
    is_sample: bool = False

    def by_code(self, code: str | None) -> CatalogueItem | None:
        return next((item for item in self.items if item.code == code), None) if code else None

    def ref(self, item: CatalogueItem) -> str:
        """Callback-safe reference: official codes may hold Chinese or be long, positions do not.
        The version makes a button from before a new import stale instead of wrong."""
        return f"{self.items.index(item)}v{self.version or 0}"

    def by_ref(self, ref: str | None) -> CatalogueItem | None:
        position, _, version = (ref or "").partition("v")
        if not position.isdigit() or version != str(self.version or 0) or int(position) >= len(self.items):
            return None
        return self.items[int(position)]

    def search(self, text: str, limit: int = ITEM_CHOICES) -> list[CatalogueItem]:
        """Items for a description: the confident hits, else the nearest ones to choose from."""
        result = self.index.search(text, limit=limit)
        return [hit.item for hit in (result.hits or result.nearest)][:limit]


async def catalogue_of(context: BotContext) -> CatalogueView:
    """The lookup feature's catalogue service, refreshed (a CLI import is seen at once)."""
    service = lookup.service(context)
    await service.ready()
    version = service.version
    return CatalogueView(
        items=list(service.items), index=service.index,
        version=str(version.id) if version is not None else None,
        published=version.imported_at.date() if version is not None else None,
        is_sample=bool(version is not None and version.is_sample),
    )


def basis_for(item: CatalogueItem | None, street: str, on: date) -> Basis:
    return Basis.UNCERTAIN if item is None else Basis(status_at(item, street, on).value)


# ---------------------------------------------------------------- people and routing


def routed_people(session: Session, *, basis: Basis, street: str, zone: str, department: str | None,
                  disputed: bool = False) -> list[Person]:
    roster = lead_db.roster_entries(session=session)
    ids = route(roster, basis=basis, street=street, zone=zone, department=department, disputed=disputed)
    people = lead_db.people_by_id(session=session, ids=ids)
    return [people[i] for i in ids if i in people]


def names(people: Sequence[Person]) -> str:
    """The people a notice goes to, each marked when the bot cannot (surely) reach them."""
    return "、".join(reach_name(p) for p in people) or texts.CASE_NOBODY


def reach_name(person: Person) -> str:
    state = people_db.reach(person)
    template = {people_db.NOT_STARTED: texts.REACH_NOT_STARTED, people_db.UNBOUND: texts.REACH_UNBOUND,
                people_db.INACTIVE: texts.REACH_INACTIVE}.get(state, "{name}")
    return template.format(name=esc(person.name))


def lead_consequence(lead: Lead) -> Consequence:
    if lead.disputed:
        return Consequence(Basis.UNCERTAIN, None, texts.LEAD_TO_LEGAL_REVIEW)
    if lead.basis != Basis.UNCERTAIN and lead.enforcing_subject:
        return Consequence(Basis(lead.basis), lead.enforcing_subject,
                           texts.LEAD_IN_NAME_OF.format(subject=lead.enforcing_subject))
    return consequence(Basis(lead.basis), street=lead.street, department=lead.item_department)


# ---------------------------------------------------------------- rendering


def local(dt: datetime, tz: ZoneInfo) -> str:
    return dt.astimezone(tz).strftime("%m-%d %H:%M")


def place_text(lead_or_draft: Lead | dict[str, Any]) -> str:
    get = (lead_or_draft.get if isinstance(lead_or_draft, dict) else lambda k: getattr(lead_or_draft, k))
    parts = []
    if get("address"):
        parts.append(esc(get("address")))
    if get("lat") is not None:
        accuracy = get("accuracy_m")
        parts.append(f"{get('lat'):.5f}, {get('lon'):.5f}" + (f"（±{accuracy:.0f} 米）" if accuracy else ""))
    if get("area"):
        parts.append(get("area"))
    text = "，".join(parts) or "—"
    if get("outside_district"):
        text += texts.CASE_CARD_OUTSIDE
    return text


def consequence_html(outcome: Consequence) -> str:
    """The consequence line for an HTML message: its subject is a department from the imported
    catalogue (or a dispute decision), so it is escaped like anything else from a file."""
    return esc(outcome.line)


def item_text(lead: Lead) -> str:
    return esc(lead.item_name) if lead.item_name else texts.CASE_CARD_UNSURE_ITEM


def extra_lines(session: Session, lead: Lead, tz: ZoneInfo) -> str:
    extra = ""
    if lead.assignee_id is not None:
        assignee = session.get(Person, lead.assignee_id)
        extra += texts.LEAD_EXTRA_ASSIGNEE.format(name=esc(assignee.name if assignee else "?"))
    if lead.transfer_to:
        extra += texts.LEAD_EXTRA_TRANSFER.format(target=esc(lead.transfer_to))
    if lead.rejection_reason:
        extra += texts.LEAD_EXTRA_REASON.format(reason=esc(lead.rejection_reason))
    if lead.disputed and lead.id is not None:
        dispute = lead_db.open_dispute(session=session, lead_id=lead.id)
        if dispute is not None:
            extra += texts.LEAD_EXTRA_DISPUTE.format(deadline=local(dispute.deadline, tz))
    return extra


def notice_text(session: Session, lead: Lead, tz: ZoneInfo) -> str:
    reporter = session.get(Person, lead.reporter_id)
    assert lead.id is not None
    return texts.LEAD_NOTICE.format(
        number=lead.number, place=place_text(lead), street=lead.street, zone=lead.zone, item=item_text(lead),
        basis=lead.basis, consequence=consequence_html(lead_consequence(lead)), description=esc(lead.description),
        photos=len(lead_db.photos_of(session=session, lead_id=lead.id)),
        reporter=esc(reporter.name if reporter else "?"), discovered=local(lead.discovered_at, tz),
        state=lead.state, extra=extra_lines(session, lead, tz),
    )


def handler_keyboard(lead: Lead) -> InlineKeyboardMarkup | None:
    """Buttons a handler can press now; none once the lead is closed, moved or refused."""
    state = LeadState(lead.state)
    if state in (LeadState.CLOSED, LeadState.TRANSFERRED, LeadState.REJECTED):
        return None

    def button(label: str, action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=encode(FEATURE, action, lead.id or 0, lead.version))

    first = {
        LeadState.PENDING: [button(texts.LEAD_BTN_ACCEPT, "acc")],
        LeadState.ACCEPTED: [button(texts.LEAD_BTN_PROGRESS, "prog")],
        LeadState.IN_PROGRESS: [button(texts.LEAD_BTN_CLOSE, "done")],
    }[state]
    first.append(button(texts.LEAD_BTN_TRANSFER, "xfer"))
    if state is not LeadState.IN_PROGRESS:
        first.append(button(texts.LEAD_BTN_REJECT, "rej"))
    second = [button(texts.LEAD_BTN_ITEM, "item")]
    if not lead.disputed:
        second.insert(0, button(texts.LEAD_BTN_DISPUTE, "disp"))
    return InlineKeyboardMarkup([first, second])


def markup_dict(markup: InlineKeyboardMarkup | None) -> dict[str, Any] | None:
    return markup.to_dict() if markup is not None else None


# ---------------------------------------------------------------- notices (outbox)


def notify_handlers(session: Session, lead: Lead, people: Sequence[Person], tz: ZoneInfo, *, prefix: str = "") -> int:
    """Queue the lead notice with handler buttons to each person; one per person and version."""
    text = prefix + notice_text(session, lead, tz)
    markup = markup_dict(handler_keyboard(lead))
    queued = 0
    for person in people:
        if person.telegram_id is None:
            continue
        row = outbox.enqueue(
            session=session, chat_id=person.telegram_id, person_id=person.id, text=text, reply_markup=markup,
            ref_type="lead", ref_id=lead.number, dedupe_key=f"lead:{lead.id}:v{lead.version}:route:{person.id}",
        )
        queued += row is not None
    return queued


def notify_merge(session: Session, lead: Lead, *, change_id: int, actor: Actor, description: str, photos: int) -> int:
    """Tell the people handling a lead that another officer reported the same thing (photos and a
    note were added): without this the second report sat in the history unseen."""
    recipients = dict.fromkeys([*lead.routed_to, *([lead.assignee_id] if lead.assignee_id else [])])
    text = texts.CASE_MERGE_NOTICE.format(number=esc(lead.number), name=esc(actor.name),
                                          description=esc(description), photos=photos)
    queued = 0
    for person_id in recipients:
        person = session.get(Person, person_id)
        if person is None or not person.active or person.telegram_id is None or person.id == actor.person_id:
            continue
        row = outbox.enqueue(session=session, chat_id=person.telegram_id, person_id=person.id, text=text,
                             ref_type="lead", ref_id=lead.number, dedupe_key=f"lead:{lead.id}:merge:{change_id}:{person.id}")
        queued += row is not None
    return queued


def notify_reporter(session: Session, lead: Lead, text: str, *, actor: Actor | None) -> None:
    """Every change reaches the reporter, unless the reporter made it (they saw it already)."""
    if actor is not None and actor.person_id == lead.reporter_id:
        return
    reporter = session.get(Person, lead.reporter_id)
    if reporter is None or reporter.telegram_id is None or not reporter.active:
        return
    outbox.enqueue(
        session=session, chat_id=reporter.telegram_id, person_id=reporter.id, text=text,
        ref_type="lead", ref_id=lead.number, dedupe_key=f"lead:{lead.id}:v{lead.version}:reporter",
    )


def wake_delivery(context: BotContext) -> None:
    worker = context.services.extras.get("delivery")
    if worker is not None:
        worker.wake()
