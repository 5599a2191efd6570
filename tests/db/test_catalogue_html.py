"""Issue 13 item 11: catalogue text is imported from a file, so every message that shows a catalogue
field must escape it. Hypothesis fills item name, department and legal basis with hostile text and
each card goes through the sandbox's copy of Telegram's HTML parser (which refuses what Telegram
refuses). The lead notice reads the database (reporter, photos), hence tests/db."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import texts
from db.cases import Lead
from db.engine import Database
from db.models import utcnow
from handlers.cards import by_street_lines, render_card, status_summary
from handlers.case_actions import dispute_notice_text, why_prompt
from handlers.case_lists import item_short
from handlers.case_views import basis_for, consequence_html, lead_consequence, notice_text
from handlers.cases import draft_card_text
from knowledge.cases import Basis, consequence
from knowledge.catalogue import CatalogueItem, ItemClass, ItemStatus
from knowledge.streets import STREETS
from sandbox.telegram_html import parse_html

ON = date(2026, 11, 26)
TZ_NAME = "Asia/Shanghai"
HOSTILE = st.one_of(
    st.text(alphabet="<>&;\"'/#xbia 部门局", min_size=1, max_size=40),
    st.sampled_from(["<区>&部门", "</b>", "<b>", "&", "&amp", "a < b", "<script>", "区<市场>监督管理局"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=60),
).filter(str.strip)
STATUS = st.sampled_from(list(ItemStatus))
CLASS = st.sampled_from(list(ItemClass))
SETTINGS = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def valid(text: str) -> str:
    """The text Telegram would show; raises EntityParseError where Telegram answers 400."""
    plain, _ = parse_html(text)
    return plain


def hostile_item(name: str, department: str, basis: str, status: ItemStatus, item_class: ItemClass) -> CatalogueItem:
    return CatalogueItem(code="X-<1>&", name=name, item_class=item_class, department=department, legal_basis=basis,
                         scope=frozenset(STREETS[:3]), status=status, effective_from=date(2024, 1, 1),
                         withdrawn_on=date(2025, 1, 1) if status is ItemStatus.WITHDRAWN else None, is_sample=True)


def lead_of(item: CatalogueItem, street: str, *, description: str = "占道", disputed: bool = False) -> Lead:
    outcome = consequence(Basis(item.status.value), street=street, department=item.department)
    return Lead(id=1, number="XS-20261126-001", reporter_id=1, discovered_at=utcnow(), street=street, zone="老城区",
                description=description, item_code=item.code, item_name=item.name, item_class=item.item_class.value,
                item_department=item.department, status_at_filing=item.status.value, basis=outcome.basis.value,
                enforcing_subject=outcome.subject, disputed=disputed)


@SETTINGS
@given(name=HOSTILE, department=HOSTILE, basis=HOSTILE, status=STATUS, item_class=CLASS,
       street=st.sampled_from([*STREETS, None]))
def test_lookup_cards_escape_catalogue_text(name: str, department: str, basis: str, status: ItemStatus,
                                            item_class: ItemClass, street: str | None) -> None:
    item = hostile_item(name, department, basis, status, item_class)
    text, _ = render_card(item, street=street, on=ON, version_date=ON)
    plain = valid(text)
    assert item.lead_department in plain
    for line in by_street_lines(item, ON):
        valid(line)
    if street is not None:
        assert status_summary(item, street, ON)  # plain text (inline result description), never parsed


@SETTINGS
@given(name=HOSTILE, department=HOSTILE, status=STATUS, street=st.sampled_from(STREETS), description=HOSTILE)
def test_case_draft_card_and_filing_lines_escape_catalogue_text(
    name: str, department: str, status: ItemStatus, street: str, description: str
) -> None:
    item = hostile_item(name, department, "依据", status, ItemClass.MARKET)
    draft = {"street": street, "zone": "老城区", "description": description, "photos": [], "address": "<门口>&"}
    plain = valid(draft_card_text(draft, item, ON, "甲、乙"))
    outcome = consequence(basis_for(item, street, ON), street=street, department=department)
    assert outcome.line in plain  # shown verbatim, not swallowed as a tag
    valid(texts.CASE_FILED.format(number="XS-1", consequence=consequence_html(outcome), recipients="甲"))
    valid(draft_card_text(draft, None, ON, "甲"))


@SETTINGS
@given(name=HOSTILE, department=HOSTILE, status=STATUS, street=st.sampled_from(STREETS), reason=HOSTILE,
       disputed=st.booleans())
def test_lead_notice_dispute_and_reason_prompt_escape_catalogue_text(
    db: Database, name: str, department: str, status: ItemStatus, street: str, reason: str, disputed: bool
) -> None:
    item = hostile_item(name, department, "依据", status, ItemClass.COMPREHENSIVE)
    lead = lead_of(item, street, description=reason, disputed=disputed)
    with db.session() as session:
        notice = notice_text(session, lead, ZoneInfo(TZ_NAME))
    valid(notice)
    valid(consequence_html(lead_consequence(lead)))
    valid(dispute_notice_text(lead, reason, "<张三>", "2026-11-27 09:00"))
    for choice in ("s", "d", "d1", "d2", "d3"):
        prompt = why_prompt(lead, choice)  # 说明理由 after a legal reviewer picks the subject
        assert prompt is not None
        plain = valid(prompt)
        if choice == "d":
            assert department in plain
    assert why_prompt(lead, "zz") is None
    for line in (texts.MYCASES_LINE.format(number=lead.number, state="待受理", street=street, item=item_short(lead),
                                           when="11-26 09:00"),
                 texts.CASES_LINE.format(number=lead.number, state="待受理", street=street, item=item_short(lead),
                                         reporter="&lt;甲&gt;", when="11-26 09:00")):
        valid(line)  # list lines cut long names: before escaping, never inside an entity


def test_a_long_item_name_is_cut_before_it_is_escaped() -> None:
    item = hostile_item("<" * 30, "部门", "依据", ItemStatus.DELEGATED, ItemClass.MARKET)
    assert valid(item_short(lead_of(item, STREETS[0]))) == "<" * 23 + "…"


def test_a_department_with_a_tag_reaches_the_reader_verbatim() -> None:
    """The example of the issue: `<` in 原行使部门 used to break the card and the reason prompt."""
    item = hostile_item("占道经营", "区<市场>监督管理局", "依据", ItemStatus.NOT_DELEGATED, ItemClass.MARKET)
    lead = lead_of(item, STREETS[0])
    assert "区<市场>监督管理局" in valid(why_prompt(lead, "d") or "")
    assert "以区<市场>监督管理局名义执法" in valid(draft_card_text(
        {"street": STREETS[0], "zone": "老城区", "description": "x", "photos": []}, item, ON + timedelta(days=1), "甲"))
