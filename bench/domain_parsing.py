"""How fast the pure domain helpers answer: place matching, time parsing, geo checks.

Run: python bench/domain_parsing.py   (prints numbers; asserts nothing)
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from knowledge import geo, places, timeparse

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=SH)


def measure(label: str, call: Callable[[], object], repeat: int = 2000) -> None:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1e6)
    samples.sort()
    p99 = samples[int(len(samples) * 0.99) - 1]
    print(
        f"{label:<42} median {statistics.median(samples):8.1f} µs   p99 {p99:8.1f} µs"
    )


def main() -> None:
    start = time.perf_counter()
    places.match_place("金山")
    geo.in_district(24.905, 118.587)
    print(
        f"first call (load CSVs, polygon, pinyin): {(time.perf_counter() - start) * 1e3:.1f} ms"
    )
    measure("match_place('金山社区附近')", lambda: places.match_place("金山社区附近"))
    measure("match_place('金三社区') (fuzzy)", lambda: places.match_place("金三社区"))
    measure("match_place('jinshan')", lambda: places.match_place("jinshan"))
    measure(
        "match_place(5,000 characters)", lambda: places.match_place("金" * 5000), 300
    )
    measure(
        "parse_when('12月1日上午9点半')",
        lambda: timeparse.parse_when("12月1日上午9点半", now=NOW),
    )
    measure(
        "parse_when('周五 14:00')", lambda: timeparse.parse_when("周五 14:00", now=NOW)
    )
    rule = timeparse.parse_recurrence("每月最后一个周五 15:00")
    measure("Recurrence.next_after (monthly, last Fri)", lambda: rule.next_after(NOW))
    measure("add_working_days(+3)", lambda: timeparse.add_working_days(NOW, 3))
    measure("in_district (inside)", lambda: geo.in_district(24.905, 118.587))
    measure(
        "distance_to_district_m (Xiamen)",
        lambda: geo.distance_to_district_m(24.48, 118.09),
    )


if __name__ == "__main__":
    main()
