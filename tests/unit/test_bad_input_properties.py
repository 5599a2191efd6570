"""Property-based checks: no input shape crashes the parsers, and every card is valid Telegram HTML."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.callbacks import decode, encode
from handlers.cards import render_card
from handlers.common import escaped_pieces
from knowledge.catalogue import CatalogueFileError, CatalogueItem, ItemClass, ItemStatus, load_catalogue_file
from knowledge.roster import load_roster_file
from knowledge.search import SearchIndex
from knowledge.streets import STREETS
from knowledge.tables import TableFileError
from knowledge.timeparse import TimeParseError, parse_when
from sandbox.telegram_html import parse_html

ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
ITEM = CatalogueItem(code="X-1", name="对擅自占用城市道路从事经营活动的处罚", item_class=ItemClass.COMPREHENSIVE,
                     department="区城市管理和综合执法局", legal_basis="《城市道路管理条例》", scope=frozenset(STREETS),
                     status=ItemStatus.DELEGATED, effective_from=date(2024, 1, 1))
INDEX = SearchIndex([ITEM])
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(ANY_TEXT)
def test_decode_never_raises(data: str) -> None:
    result = decode(data)
    if result is not None:
        assert len(data.encode()) <= 64


@FAST
@given(st.from_regex(r"[a-z]{1,4}", fullmatch=True), st.from_regex(r"[a-z]{1,6}", fullmatch=True), st.integers(0, 10**12))
def test_encode_decode_round_trip(feature: str, action: str, ident: int) -> None:
    decoded = decode(encode(feature, action, ident))
    assert decoded is not None and (decoded.feature, decoded.action, decoded.ident) == (feature, action, str(ident))


@FAST
@given(ANY_TEXT)
def test_search_never_raises(query: str) -> None:
    result = INDEX.search(query)
    assert result.found in (True, False)


@FAST
@given(ANY_TEXT)
def test_time_parser_raises_only_its_own_error(text: str) -> None:
    now = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    try:
        parsed = parse_when(text, now=now, tz=ZoneInfo("Asia/Shanghai"))
    except TimeParseError as exc:
        assert str(exc)  # a Chinese message to show
    else:
        assert parsed.tzinfo is not None


@FAST
@given(name=ANY_TEXT.filter(str.strip), basis=ANY_TEXT, street=st.sampled_from([*STREETS, None]))
def test_every_card_is_valid_telegram_html(name: str, basis: str, street: str | None) -> None:
    item = CatalogueItem(code="X", name=name, item_class=ItemClass.MARKET, department="<区>&部门", legal_basis=basis,
                         scope=frozenset(STREETS[:3]), status=ItemStatus.DELEGATED, effective_from=date(2024, 1, 1),
                         is_sample=True)
    text, _ = render_card(item, street=street, on=date(2026, 11, 26), version_date=date(2026, 11, 1))
    plain, _ = parse_html(text)  # raises EntityParseError on anything Telegram would refuse
    assert plain.splitlines()[0] == name.splitlines()[0] if name.splitlines() else True
    assert len(plain) <= 4096


@FAST
@given(basis=st.text(alphabet=st.sampled_from("<>&。\n法条款ab"), min_size=1, max_size=9000), limit=st.integers(40, 4000))
def test_a_long_legal_basis_is_sent_as_valid_html_pieces_that_keep_every_character(basis: str, limit: int) -> None:
    """Cutting the escaped text every 4,000 characters could land inside &lt;: Telegram refuses that message."""
    head = "<b>对&lt;某&gt;行为的处罚</b>\n执法依据（全文）：\n"
    pieces = escaped_pieces(head, basis, limit)
    plains = [parse_html(piece)[0] for piece in pieces]  # raises on anything Telegram would refuse
    assert all(len(piece) <= limit for piece in pieces)
    assert "".join(plains) == "对<某>行为的处罚\n执法依据（全文）：\n" + basis


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from([".csv", ".xlsx"]))
def test_import_files_fail_only_with_a_clear_error(content: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"f{suffix}"
        path.write_bytes(content)
        for loader, error in ((load_roster_file, TableFileError), (load_catalogue_file, CatalogueFileError)):
            try:
                loader(path)
            except error as exc:
                assert exc.errors and all(isinstance(line, str) and line for line in exc.errors)
