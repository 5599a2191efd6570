"""Routing, consequence, lifecycle and duplicate rules of case leads (knowledge/cases.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from knowledge.cases import (
    Basis,
    IllegalTransition,
    LeadPoint,
    LeadState,
    RosterEntry,
    check_transition,
    consequence,
    find_duplicates,
    is_resubmission,
    lead_number,
    looks_like_image,
    route,
)

ROSTER = [
    RosterEntry(1, "coordinator", "海滨街道", "老城区", "海滨街道综合执法队"),  # 海滨 team leader
    RosterEntry(2, "coordinator", None, "老城区", "直属一中队"),  # zone coordinator
    RosterEntry(3, "coordinator", None, "江南新区", "直属二中队"),  # other zone
    RosterEntry(4, "legal", None, "老城区", "区司法局"),
    RosterEntry(5, "legal", None, "江南新区", "区司法局"),
    RosterEntry(6, "officer", "海滨街道", "老城区", "海滨街道综合执法队"),
    RosterEntry(7, "officer", None, "老城区", "区市场监督管理局"),
    RosterEntry(8, "officer", None, "江南新区", "区市场监督管理局"),
    RosterEntry(9, "coordinator", "开元街道", "老城区", "开元街道综合执法队"),
    RosterEntry(10, "coordinator", "海滨街道", "老城区", "海滨街道综合执法队", active=False),
    RosterEntry(11, "officer", None, None, "区市场监督管理局"),  # district-wide staff
]


def test_delegated_goes_to_street_team_leader_and_zone_coordinator() -> None:
    assert route(ROSTER, basis=Basis.DELEGATED, street="海滨街道", zone="老城区", department="区城市管理和综合执法局") == [1, 2]


def test_not_delegated_goes_to_zone_coordinator_and_department_of_that_zone() -> None:
    ids = route(ROSTER, basis=Basis.NOT_DELEGATED, street="海滨街道", zone="老城区", department="区市场监督管理局")
    assert ids == [2, 7, 11]


def test_withdrawn_is_routed_like_not_delegated() -> None:
    ids = route(ROSTER, basis=Basis.WITHDRAWN, street="浮桥街道", zone="江南新区", department="区市场监督管理局")
    assert ids == [3, 8, 11]


@pytest.mark.parametrize("basis,disputed", [(Basis.UNCERTAIN, False), (Basis.DELEGATED, True)])
def test_uncertain_or_disputed_goes_to_the_zone_legal_reviewer(basis: Basis, disputed: bool) -> None:
    assert route(ROSTER, basis=basis, street="海滨街道", zone="老城区", department=None, disputed=disputed) == [4]
    assert route(ROSTER, basis=basis, street="浮桥街道", zone="江南新区", department=None, disputed=disputed) == [5]


def test_consequence_lines() -> None:
    assert consequence(Basis.DELEGATED, street="海滨街道", department="区城市管理和综合执法局").line == "以海滨街道办事处名义执法"
    assert consequence(Basis.NOT_DELEGATED, street="海滨街道", department="区市场监督管理局").line == "以区市场监督管理局名义执法"
    assert consequence(Basis.WITHDRAWN, street="海滨街道", department="区应急管理局").subject == "区应急管理局"
    unsure = consequence(Basis.UNCERTAIN, street="海滨街道", department=None)
    assert (unsure.subject, unsure.line) == (None, "转法制审核")


def test_lifecycle_happy_path() -> None:
    state = check_transition(LeadState.PENDING, LeadState.ACCEPTED, assignee_id=6)
    state = check_transition(state, LeadState.IN_PROGRESS)
    assert check_transition(state, LeadState.CLOSED) is LeadState.CLOSED


@pytest.mark.parametrize(
    "current,target",
    [
        (LeadState.PENDING, LeadState.CLOSED),
        (LeadState.PENDING, LeadState.IN_PROGRESS),
        (LeadState.ACCEPTED, LeadState.CLOSED),
        (LeadState.IN_PROGRESS, LeadState.REJECTED),
        (LeadState.CLOSED, LeadState.IN_PROGRESS),
        (LeadState.TRANSFERRED, LeadState.ACCEPTED),
        (LeadState.REJECTED, LeadState.PENDING),
    ],
)
def test_illegal_transitions_are_refused(current: LeadState, target: LeadState) -> None:
    with pytest.raises(IllegalTransition, match=f"「{current.value}」，不能改为「{target.value}」"):
        check_transition(current, target, assignee_id=1, transfer_to="区市场监督管理局", reason="不属实")


def test_transitions_need_their_details() -> None:
    with pytest.raises(IllegalTransition, match="承办人"):
        check_transition(LeadState.PENDING, LeadState.ACCEPTED)
    with pytest.raises(IllegalTransition, match="移送"):
        check_transition(LeadState.ACCEPTED, LeadState.TRANSFERRED, transfer_to="  ")
    with pytest.raises(IllegalTransition, match="理由"):
        check_transition(LeadState.PENDING, LeadState.REJECTED)
    assert check_transition(LeadState.IN_PROGRESS, LeadState.TRANSFERRED, transfer_to="区应急管理局 李四") is LeadState.TRANSFERRED


def test_lead_number_format() -> None:
    assert lead_number(date(2026, 3, 5), 7) == "XS-20260305-007"
    assert lead_number(date(2026, 12, 31), 1234) == "XS-20261231-1234"


NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
HERE = (24.9050, 118.5850)
# 0.0009 degrees of latitude is about 100 m.


def point(lead_id: int | None, code: str | None = "ZH-01", dlat: float = 0.0, ago: timedelta = timedelta(0), **kw: object) -> LeadPoint:
    return LeadPoint(lead_id, code, HERE[0] + dlat, HERE[1], NOW - ago, **kw)  # type: ignore[arg-type]


def test_duplicates_same_item_within_100_m_and_7_days_nearest_first() -> None:
    new = point(None)
    existing = [
        point(1, dlat=0.0008),  # ~89 m
        point(2, dlat=0.0002, ago=timedelta(days=6, hours=23)),  # ~22 m
        point(3, dlat=0.0010),  # ~111 m: too far
        point(4, ago=timedelta(days=7, minutes=1)),  # too old
        point(5, code="ZH-02"),  # other item
        LeadPoint(6, "ZH-01", None, None, NOW),  # no coordinates
    ]
    assert [p.lead_id for p in find_duplicates(new, existing)] == [2, 1]
    assert find_duplicates(point(None, code=None), existing) == []


def test_resubmission_same_reporter_text_place_within_10_minutes() -> None:
    first = point(1, reporter_id=7, description="人行道 摆摊")
    assert is_resubmission(point(None, reporter_id=7, description="人行道摆摊", ago=timedelta(minutes=-9)), first)
    assert not is_resubmission(point(None, reporter_id=7, description="人行道摆摊", ago=timedelta(minutes=-11)), first)
    assert not is_resubmission(point(None, reporter_id=8, description="人行道摆摊"), first)
    assert not is_resubmission(point(None, reporter_id=7, description="油烟扰民"), first)
    assert not is_resubmission(point(None, reporter_id=7, description="人行道摆摊", dlat=0.001), first)
    typed_a = LeadPoint(1, None, None, None, NOW, reporter_id=7, description="噪音", address="金山社区")
    typed_b = LeadPoint(None, None, None, None, NOW, reporter_id=7, description="噪音", address="金山 社区")
    assert is_resubmission(typed_b, typed_a)


@pytest.mark.parametrize(("data", "image"), [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", True),
    (b"\x89PNG\r\n\x1a\n\x00\x00", True),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", True),
    (b"\x00\x00\x00\x18ftypheic\x00\x00", True),  # an iPhone photo
    (b"GIF89a\x01\x00", True),
    (b"MZ\x90\x00\x03", False),  # a Windows program
    (b"<svg xmlns=", False),  # SVG can carry script
    (b"%PDF-1.4", False),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", False),  # a sound file
    (b"\x00\x00\x00\x18ftypisom", False),  # an MP4 video
    (b"", False),
])
def test_images_are_told_by_their_first_bytes(data: bytes, image: bool) -> None:
    assert looks_like_image(data) is image
