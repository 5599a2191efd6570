"""Case leads (案源线索): who is told, in whose name the case is enforced, the lifecycle, duplicates.

Pure rules, no I/O: the same answers must hold in the chat, in the reminders and in an export,
and they are easy to test on plain data. The routing follows the scheme (泉鲤政办〔2024〕25号):
by the place of the case, an item delegated to the street (已赋权) is enforced in the street's
name, otherwise in the name of the district department; a dispute over the subject goes to the
zone's legal reviewer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

import texts
from knowledge.geo import haversine_m

DUPLICATE_RADIUS_M = 100.0
DUPLICATE_WINDOW = timedelta(days=7)
RESUBMISSION_WINDOW = timedelta(minutes=10)
SAME_PLACE_M = 30.0  # two fixes of one spot from one phone differ by a few metres
MAX_PHOTOS = 10
MAX_PHOTO_BYTES = 20 * 1024 * 1024  # getFile cannot download more
MAX_DESCRIPTION = 500
ZHONGSHAN_AREA = "中山路商圈"

_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif")


def looks_like_image(data: bytes) -> bool:
    """By its first bytes, not by what the sender declared: a document labelled image/jpeg may be
    anything. JPEG, PNG, GIF, WebP, HEIC/HEIF/AVIF (phones), TIFF and BMP."""
    return (data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*", b"BM"))
            or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
            or (data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS))


class LeadState(StrEnum):
    PENDING = "待受理"
    ACCEPTED = "已受理"
    IN_PROGRESS = "处置中"
    CLOSED = "已办结"
    TRANSFERRED = "已移送"
    REJECTED = "不予立案"


TERMINAL_STATES = frozenset({LeadState.CLOSED, LeadState.TRANSFERRED, LeadState.REJECTED})

# 已办结 only after the work was done; 移送 and 不予立案 are decisions possible until then.
TRANSITIONS: dict[LeadState, frozenset[LeadState]] = {
    LeadState.PENDING: frozenset({LeadState.ACCEPTED, LeadState.TRANSFERRED, LeadState.REJECTED}),
    LeadState.ACCEPTED: frozenset({LeadState.IN_PROGRESS, LeadState.TRANSFERRED, LeadState.REJECTED}),
    LeadState.IN_PROGRESS: frozenset({LeadState.CLOSED, LeadState.TRANSFERRED}),
    LeadState.CLOSED: frozenset(),
    LeadState.TRANSFERRED: frozenset(),
    LeadState.REJECTED: frozenset(),
}


class IllegalTransition(ValueError):
    """A state change the lifecycle does not allow, or one missing what it needs; Chinese message."""


def check_transition(
    current: LeadState,
    target: LeadState,
    *,
    assignee_id: int | None = None,
    transfer_to: str | None = None,
    reason: str | None = None,
) -> LeadState:
    """Return `target` when the move is allowed and complete, else raise IllegalTransition."""
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(texts.LEAD_ILLEGAL_TRANSITION.format(current=current.value, target=target.value))
    if target is LeadState.ACCEPTED and assignee_id is None:
        raise IllegalTransition(texts.LEAD_NEEDS_ASSIGNEE)
    if target is LeadState.TRANSFERRED and not (transfer_to or "").strip():
        raise IllegalTransition(texts.LEAD_NEEDS_TRANSFER_TARGET)
    if target is LeadState.REJECTED and not (reason or "").strip():
        raise IllegalTransition(texts.LEAD_NEEDS_REASON)
    return target


# ---------------------------------------------------------------- enforcing subject


class Basis(StrEnum):
    """Why a subject enforces: the item's status for the street, or not known yet."""

    DELEGATED = "已赋权"
    NOT_DELEGATED = "未赋权"
    WITHDRAWN = "已收回"
    UNCERTAIN = "不确定"


@dataclass(frozen=True)
class Consequence:
    """What filing means: in whose name the case is enforced (None = goes to legal review)."""

    basis: Basis
    subject: str | None
    line: str


def consequence(basis: Basis, *, street: str, department: str | None) -> Consequence:
    """The consequence line of the card: 以XX街道办事处名义执法 / 以区XX部门名义执法 / 转法制审核.

    已收回 items are enforced by the department again, like 未赋权 ones.
    """
    if basis is Basis.DELEGATED:
        subject = street + texts.LEAD_STREET_OFFICE
        return Consequence(basis, subject, texts.LEAD_IN_NAME_OF.format(subject=subject))
    if basis in (Basis.NOT_DELEGATED, Basis.WITHDRAWN) and department:
        return Consequence(basis, department, texts.LEAD_IN_NAME_OF.format(subject=department))
    return Consequence(Basis.UNCERTAIN, None, texts.LEAD_TO_LEGAL_REVIEW)


# ---------------------------------------------------------------- routing


@dataclass(frozen=True)
class RosterEntry:
    """The roster fields routing needs (detached from the database)."""

    person_id: int
    role: str  # officer / coordinator / legal / admin
    street: str | None
    zone: str | None
    department: str | None
    active: bool = True


def street_team_leaders(roster: Iterable[RosterEntry], street: str) -> list[int]:
    """Coordinators whose roster street is the lead's street (队长/副队长 of its 综合执法队)."""
    return [p.person_id for p in roster if p.active and p.role == "coordinator" and p.street == street]


def zone_coordinators(roster: Iterable[RosterEntry], zone: str) -> list[int]:
    """Coordinators of the zone's 直属中队: role coordinator, no street, that zone."""
    return [p.person_id for p in roster if p.active and p.role == "coordinator" and not p.street and p.zone == zone]


def legal_reviewers(roster: Iterable[RosterEntry], zone: str) -> list[int]:
    return [p.person_id for p in roster if p.active and p.role == "legal" and p.zone == zone]


def department_members(roster: Iterable[RosterEntry], department: str, zone: str) -> list[int]:
    """Roster members of the enforcing department posted to this zone (or to the whole district)."""
    return [
        p.person_id for p in roster
        if p.active and p.department == department and (p.zone is None or p.zone == zone)
    ]


def route(
    roster: Sequence[RosterEntry],
    *,
    basis: Basis,
    street: str,
    zone: str,
    department: str | None,
    disputed: bool = False,
) -> list[int]:
    """Person ids to notify about a lead, without repeats, in a stable order.

    已赋权 → the street's team leader(s) and the zone coordinator(s); 未赋权/已收回 → the zone
    coordinator(s) and the department's members; 不确定 or disputed → the zone's legal reviewer(s).
    """
    if disputed or basis is Basis.UNCERTAIN or (basis is not Basis.DELEGATED and not department):
        ids = legal_reviewers(roster, zone)
    elif basis is Basis.DELEGATED:
        ids = street_team_leaders(roster, street) + zone_coordinators(roster, zone)
    else:
        assert department is not None
        ids = zone_coordinators(roster, zone) + department_members(roster, department, zone)
    return list(dict.fromkeys(ids))


# ---------------------------------------------------------------- numbers, duplicates


def lead_number(local_day: date, sequence: int) -> str:
    """XS-YYYYMMDD-NNN: the day in local time and the day's running number."""
    return f"XS-{local_day:%Y%m%d}-{sequence:03d}"


@dataclass(frozen=True)
class LeadPoint:
    """What duplicate checks compare: item, place, time (and who filed, for resubmissions)."""

    lead_id: int | None
    item_code: str | None
    lat: float | None
    lon: float | None
    at: datetime
    reporter_id: int | None = None
    description: str = ""
    address: str | None = None


def distance_m(a: LeadPoint, b: LeadPoint) -> float | None:
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return None
    return haversine_m((a.lat, a.lon), (b.lat, b.lon))


def find_duplicates(new: LeadPoint, existing: Iterable[LeadPoint]) -> list[LeadPoint]:
    """Earlier leads of the same item within 100 m and 7 days of the new one, nearest first."""
    if new.item_code is None:
        return []
    found: list[tuple[float, LeadPoint]] = []
    for old in existing:
        if old.item_code != new.item_code or abs(new.at - old.at) > DUPLICATE_WINDOW:
            continue
        distance = distance_m(new, old)
        if distance is not None and distance <= DUPLICATE_RADIUS_M:
            found.append((distance, old))
    return [point for _, point in sorted(found, key=lambda pair: pair[0])]


def _normalised(text: str | None) -> str:
    return "".join((text or "").split())


def is_resubmission(new: LeadPoint, old: LeadPoint) -> bool:
    """The same reporter sent the same description for the same place within 10 minutes
    (a phone that queued the message offline and sent it again)."""
    if new.reporter_id is None or new.reporter_id != old.reporter_id:
        return False
    if abs(new.at - old.at) > RESUBMISSION_WINDOW:
        return False
    if _normalised(new.description) != _normalised(old.description):
        return False
    distance = distance_m(new, old)
    if distance is not None:
        return distance <= SAME_PLACE_M
    return _normalised(new.address) == _normalised(old.address)
