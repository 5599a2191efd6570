"""Benchmark of the item search on a synthetic 10,000-item catalogue with 1,000 queries.

Run: `python -m bench.lookup [--items 10000] [--queries 1000] [--seed 7]`.
Prints index build time, per-query latency (p50/p95/p99/max), RSS growth and the top-1 hit
rate on the synthetic queries. Goals (issue 4): p99 < 5 ms, build < 3 s, RSS < 60 MB.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from dataclasses import dataclass
from datetime import date

import psutil

from knowledge.catalogue import CatalogueItem, ItemClass, ItemStatus
from knowledge.search import SearchIndex, pinyin_initials, pinyin_syllables
from knowledge.streets import STREETS

SUBJECTS = (
    [""]
    + "生产经营单位 食品经营者 餐饮服务提供者 施工单位 物业服务企业 燃气用户 个体工商户 烟花爆竹零售经营者 娱乐场所经营者 运输车辆 广告经营者 养犬人".split()
)
VERBS = "擅自占用 未按照规定设置 违规堆放 擅自拆除 未取得许可从事 超范围经营 擅自改变 未采取有效措施防治 违法倾倒 无照从事 违反规定销售 未经批准搭建 拒不整改".split()
OBJECTS = "城市道路 公共场地 消防车通道 户外广告设施 建筑垃圾 餐饮油烟 夜间施工噪声 城市绿地 燃气设施 安全警示标志 预包装食品 特种设备 计量器具 疏散通道 临街门店 防尘设施 生活垃圾 树木花草 危险化学品 烟花爆竹".split()
PLACES = [""] + "在城市道路上 在居民区内 在人员密集场所 在临街建筑物上 在施工工地".split()
SLANG = "占道 摆摊 乱搭 乱堆 违建 油烟 噪音 毁绿 乱倒 违停 无证 三合一 小广告 堵通道 扬尘 烧烤 鞭炮 过期 假货 没标价 私拉电线 乱贴 遛狗".split()
NOT_FOUND = "离婚登记 护照办理 社保查询 天气预报 公积金提取 驾照换证 医保报销 户口迁移".split()


@dataclass(frozen=True)
class Query:
    """A query and what counts as right: its source item, or any item whose name holds the same
    fragment (synthetic names share parts, so a fragment often fits hundreds of items equally)."""

    text: str
    expected_code: str
    kind: str
    fragment: str = ""

    def accepts(self, item: CatalogueItem) -> bool:
        if item.code == self.expected_code:
            return True
        if not self.fragment:
            return False
        if self.kind == "initials":
            return self.text in pinyin_initials(item.name)
        return self.fragment in item.name


def synthetic_catalogue(count: int, rng: random.Random) -> list[CatalogueItem]:
    """Unique names composed like real ones: 对 + subject + place + verb + object + 的处罚."""
    items: list[CatalogueItem] = []
    seen: set[str] = set()
    classes = list(ItemClass)
    while len(items) < count:
        name = f"对{rng.choice(SUBJECTS)}{rng.choice(PLACES)}{rng.choice(VERBS)}{rng.choice(OBJECTS)}的处罚"
        if len(seen) > count * 0.6:  # the combinations run out: add a numbered variant
            name = name.replace("的处罚", f"（第{len(items)}类情形）的处罚")
        if name in seen:
            continue
        seen.add(name)
        code = f"SYN-{len(items):05d}"
        aliases = tuple(rng.sample(SLANG, 2)) + (f"{rng.choice(SLANG)}{len(items)}",)
        items.append(
            CatalogueItem(
                code=code,
                name=name,
                item_class=classes[len(items) % 3],
                department="区城市管理和综合执法局",
                legal_basis="《城市市容和环境卫生管理条例》第三十六条",
                scope=frozenset(rng.sample(STREETS, rng.randint(1, 8))),
                status=ItemStatus.DELEGATED,
                effective_from=date(2024, 11, 1),
                aliases=aliases,
                is_sample=True,
            )
        )
    return items


def homophone_map(items: list[CatalogueItem]) -> dict[str, list[str]]:
    """Characters of the catalogue grouped by toneless pinyin, to fake IME typos."""
    by_sound: dict[str, set[str]] = {}
    for item in items[:2000]:
        for char in set(item.name):
            syllables = pinyin_syllables(char)
            if syllables and syllables[0].isalpha():
                by_sound.setdefault(syllables[0], set()).add(char)
    return {char: sorted(group - {char}) for group in by_sound.values() for char in group if len(group) > 1}


def synthetic_queries(items: list[CatalogueItem], count: int, rng: random.Random) -> list[Query]:
    sounds = homophone_map(items)
    queries: list[Query] = []
    kinds = ["fragment", "fragment", "homophone", "pinyin", "initials", "numbered_alias", "not_found"]
    while len(queries) < count:
        item = rng.choice(items)
        core = item.name.removeprefix("对").removesuffix("的处罚")
        kind = kinds[len(queries) % len(kinds)]
        start = rng.randrange(0, max(1, len(core) - 8))
        fragment = core[start : start + rng.randint(6, 10)]
        if kind == "fragment":
            queries.append(Query(fragment, item.code, kind, fragment))
        elif kind == "homophone":
            chars = list(fragment)
            spots = [i for i, ch in enumerate(chars) if ch in sounds]
            if spots:
                spot = rng.choice(spots)
                chars[spot] = rng.choice(sounds[chars[spot]])
            queries.append(Query("".join(chars), item.code, kind, fragment))
        elif kind == "pinyin":
            queries.append(Query("".join(pinyin_syllables(fragment)), item.code, kind, fragment))
        elif kind == "initials":
            queries.append(Query(pinyin_initials(fragment), item.code, kind, fragment))
        elif kind == "numbered_alias":
            queries.append(Query(item.aliases[-1], item.code, kind))
        else:
            queries.append(Query(rng.choice(NOT_FOUND), "", kind))
    return queries


def percentile(sorted_values: list[float], share: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(share * len(sorted_values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    process = psutil.Process()

    items = synthetic_catalogue(args.items, rng)
    queries = synthetic_queries(items, args.queries, rng)
    gc.collect()
    rss_before = process.memory_info().rss

    started, started_cpu = time.perf_counter(), time.process_time()
    index = SearchIndex(items)
    build_seconds, build_cpu = time.perf_counter() - started, time.process_time() - started_cpu
    gc.collect()
    rss_after_build = process.memory_info().rss

    started = time.perf_counter()
    index.search("占道经营")
    first_query_ms = (time.perf_counter() - started) * 1000

    latencies: list[float] = []
    best_of_3: list[float] = []  # the same query again: separates our cost from a busy machine
    cpu: list[float] = []  # CPU time of the process: what a noisy, shared machine does not inflate
    outcomes: dict[str, list[int]] = {}
    for query in queries:
        runs = []
        for attempt in range(3):
            started, started_cpu = time.perf_counter(), time.process_time()
            result = index.search(query.text)
            runs.append((time.perf_counter() - started) * 1000)
            if attempt == 0:
                cpu.append((time.process_time() - started_cpu) * 1000)
        latencies.append(runs[0])
        best_of_3.append(min(runs))
        if query.expected_code:
            right = result.found and query.accepts(result.hits[0].item)
            in_top5 = any(query.accepts(hit.item) for hit in result.nearest)
        else:
            right = in_top5 = not result.found
        tally = outcomes.setdefault(query.kind, [0, 0, 0])
        tally[0] += int(right)
        tally[1] += int(in_top5)
        tally[2] += 1
    rss_after_queries = process.memory_info().rss
    latencies.sort()
    best_of_3.sort()
    cpu.sort()

    mb = 1024 * 1024
    rows = [
        ("items / queries", f"{len(items):,} / {len(queries):,}", ""),
        ("index build", f"{build_seconds:.2f} s", "goal < 3 s"),
        ("index build, CPU time", f"{build_cpu:.2f} s", ""),
        ("first query (cold caches)", f"{first_query_ms:.2f} ms", ""),
        ("query p50", f"{statistics.median(latencies):.2f} ms", ""),
        ("query p95", f"{percentile(latencies, 0.95):.2f} ms", ""),
        ("query p99", f"{percentile(latencies, 0.99):.2f} ms", "goal < 5 ms"),
        ("query max", f"{latencies[-1]:.2f} ms", ""),
        ("query p99, best of 3 runs", f"{percentile(best_of_3, 0.99):.2f} ms", "least disturbed run"),
        ("query CPU time p50 / p99", f"{statistics.median(cpu):.2f} / {percentile(cpu, 0.99):.2f} ms", ""),
        ("CPU load average (1 min)", f"{psutil.getloadavg()[0]:.2f}", f"{psutil.cpu_count()} cores"),
        ("RSS growth, build", f"{(rss_after_build - rss_before) / mb:.1f} MB", "goal < 60 MB"),
        ("RSS growth, build+queries", f"{(rss_after_queries - rss_before) / mb:.1f} MB", ""),
    ]
    print(f"{'measure':<28}{'value':>16}  note")  # noqa: T201 - a benchmark prints
    for label, value, note in rows:
        print(f"{label:<28}{value:>16}  {note}")  # noqa: T201
    print("\nright = the source item or one whose name holds the same fragment")  # noqa: T201
    print(f"{'synthetic query kind':<22}{'top-1':>8}{'top-5':>8}{'n':>6}")  # noqa: T201
    for kind, (top1, top5, total) in outcomes.items():
        print(f"{kind:<22}{100 * top1 / total:>7.1f}%{100 * top5 / total:>7.1f}%{total:>6}")  # noqa: T201


if __name__ == "__main__":
    main()
