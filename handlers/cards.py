"""The lookup card: the answer to "is this delegated here, and who enforces it?".

Fixed by the interface: the first line is the full item name verbatim; the card carries exactly
one status word (已赋权 / 未赋权 / 已收回) for the street in question, or one per street when the
asker has no street; then 执法主体, 类别, 牵头部门, 执法依据.
"""

from __future__ import annotations

from datetime import date

import texts
from handlers.common import esc
from knowledge.catalogue import CatalogueItem, ItemStatus, enforcing_subject, status_at
from knowledge.streets import STREETS

BASIS_SHORT = 300


def render_card(
    item: CatalogueItem, *, street: str | None, on: date, version_date: date | None, guess: bool = False
) -> tuple[str, bool]:
    """Card HTML, and whether the legal basis was shortened (then offer the full-text button)."""
    lines = [f"<b>{esc(item.name)}</b>"]
    if guess:
        lines.append(texts.LOOKUP_GUESS)
    if street is not None:
        status = status_at(item, street, on)
        lines.append(texts.CARD_STATUS_LINE.format(street=street, status=status.value) + _status_note(item, status))
        lines.append(texts.CARD_SUBJECT.format(subject=esc(enforcing_subject(item, street, on))))
    else:
        lines.append(texts.CARD_NO_STREET_HINT)
        lines.append(texts.CARD_BY_STREET_TITLE)
        lines += by_street_lines(item, on)
    lines.append(texts.CARD_CLASS.format(item_class=item.item_class.value))
    lines.append(texts.CARD_LEAD.format(lead=esc(item.lead_department)))
    basis = item.legal_basis or "—"
    shortened = len(basis) > BASIS_SHORT
    if shortened:
        basis = basis[:BASIS_SHORT] + "……"
    lines.append(texts.CARD_BASIS.format(basis=esc(basis)))
    if version_date is not None:
        lines.append(texts.CARD_VERSION.format(date=version_date.isoformat()))
    if item.is_sample:
        lines.append(texts.CARD_SAMPLE)
    return "\n".join(lines), shortened


def by_street_lines(item: CatalogueItem, on: date) -> list[str]:
    return [
        texts.CARD_BY_STREET_LINE.format(
            street=street, status=status_at(item, street, on).value, subject=esc(enforcing_subject(item, street, on))
        )
        for street in STREETS
    ]


def _status_note(item: CatalogueItem, status: ItemStatus) -> str:
    if status is ItemStatus.WITHDRAWN and item.withdrawn_on is not None:
        return texts.CARD_WITHDRAWN_SINCE.format(date=item.withdrawn_on.isoformat())
    return ""


def status_summary(item: CatalogueItem, street: str, on: date) -> str:
    """One line for inline results and case proposals: 'name — 浮桥街道 已赋权'."""
    return f"{street} {status_at(item, street, on).value} · {enforcing_subject(item, street, on)}"
