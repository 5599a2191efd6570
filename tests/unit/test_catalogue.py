"""The catalogue: the who-enforces rule, and file import that names the row and column of every problem."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from knowledge.catalogue import (
    LEAD_DEPARTMENT,
    MAX_DATA_ROWS,
    CatalogueFileError,
    CatalogueItem,
    ItemClass,
    ItemStatus,
    diff_catalogues,
    enforcing_subject,
    iter_rows_for_export,
    load_catalogue_file,
    status_at,
)
from knowledge.streets import STREETS

DATA = Path(__file__).resolve().parents[2] / "knowledge" / "data"
HEADER = ["编号", "事项名称", "类别", "原行使部门", "执法依据", "赋权范围", "状态", "生效日期", "收回日期", "别名"]
GOOD_ROW = [
    "T-1",
    "对擅自占用城市道路从事经营活动的处罚",
    "综合执法",
    "区城市管理和综合执法局",
    "《城市道路管理条例》第四十二条",
    "浮桥、江南街道",
    "已赋权",
    "2024-11-01",
    "",
    "占道经营；摆摊",
]


def item(**changes: object) -> CatalogueItem:
    fields: dict[str, object] = dict(
        code="T-1",
        name="对擅自占用城市道路从事经营活动的处罚",
        item_class=ItemClass.COMPREHENSIVE,
        department="区城市管理和综合执法局",
        legal_basis="《城市道路管理条例》第四十二条",
        scope=frozenset({"浮桥街道", "江南街道"}),
        status=ItemStatus.DELEGATED,
        effective_from=date(2024, 11, 1),
    )
    fields.update(changes)
    return CatalogueItem(**fields)  # type: ignore[arg-type]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def errors_of(path: Path) -> list[str]:
    with pytest.raises(CatalogueFileError) as caught:
        load_catalogue_file(path)
    return caught.value.errors


# ---------------------------------------------------------------- the rule


@pytest.mark.parametrize(
    ("street", "on", "status", "subject"),
    [
        ("浮桥街道", date(2025, 1, 1), ItemStatus.DELEGATED, "浮桥街道办事处"),
        ("浮桥", date(2025, 1, 1), ItemStatus.DELEGATED, "浮桥街道办事处"),
        ("开元街道", date(2025, 1, 1), ItemStatus.NOT_DELEGATED, "区城市管理和综合执法局"),
        ("浮桥街道", date(2024, 10, 31), ItemStatus.NOT_DELEGATED, "区城市管理和综合执法局"),
        ("浮桥街道", date(2024, 11, 1), ItemStatus.DELEGATED, "浮桥街道办事处"),
    ],
)
def test_status_depends_on_scope_and_effective_date(street: str, on: date, status: ItemStatus, subject: str) -> None:
    assert status_at(item(), street, on) is status
    assert enforcing_subject(item(), street, on) == subject


def test_withdrawal_takes_effect_on_its_date_and_goes_back_to_the_department() -> None:
    withdrawn = item(status=ItemStatus.WITHDRAWN, withdrawn_on=date(2025, 6, 30))
    assert status_at(withdrawn, "浮桥街道", date(2025, 6, 29)) is ItemStatus.DELEGATED
    assert status_at(withdrawn, "浮桥街道", date(2025, 6, 30)) is ItemStatus.WITHDRAWN
    assert status_at(withdrawn, "开元街道", date(2025, 7, 1)) is ItemStatus.WITHDRAWN
    assert enforcing_subject(withdrawn, "浮桥街道", date(2025, 7, 1)) == "区城市管理和综合执法局"


def test_withdrawn_without_a_date_is_withdrawn_once_effective() -> None:
    withdrawn = item(status=ItemStatus.WITHDRAWN)
    assert status_at(withdrawn, "浮桥街道", date(2026, 1, 1)) is ItemStatus.WITHDRAWN
    assert status_at(withdrawn, "浮桥街道", date(2024, 1, 1)) is ItemStatus.NOT_DELEGATED


def test_not_delegated_item_is_enforced_by_the_department_everywhere() -> None:
    not_delegated = item(status=ItemStatus.NOT_DELEGATED, scope=frozenset(), department="区住房和城乡建设局")
    for street in STREETS:
        assert status_at(not_delegated, street, date(2026, 1, 1)) is ItemStatus.NOT_DELEGATED
        assert enforcing_subject(not_delegated, street, date(2026, 1, 1)) == "区住房和城乡建设局"


def test_each_class_has_its_lead_department() -> None:
    assert item().lead_department == "区城市管理和综合执法局"
    assert LEAD_DEPARTMENT[ItemClass.MARKET] == "区市场监督管理局"
    assert LEAD_DEPARTMENT[ItemClass.EMERGENCY] == "区应急管理局"


# ---------------------------------------------------------------- shipped data


def test_the_confirmed_item_loads_verbatim() -> None:
    (confirmed,) = load_catalogue_file(DATA / "catalogue_confirmed.csv")
    assert confirmed.code == "LC-XF-2-1"
    assert confirmed.name.startswith("对生产、储存、经营其他物品的场所与居住场所设置在同一建筑物内，")
    assert confirmed.scope == frozenset(STREETS)
    assert not confirmed.is_sample
    assert enforcing_subject(confirmed, "常泰街道", date(2024, 10, 12)) == "常泰街道办事处"


def test_the_demo_catalogue_is_marked_and_varied() -> None:
    items = load_catalogue_file(DATA / "demo_catalogue.csv", is_sample=True)
    assert len(items) >= 45
    assert all(i.is_sample and i.code.startswith("DEMO-") for i in items)
    by_class = {c: sum(i.item_class is c for i in items) for c in ItemClass}
    assert min(by_class.values()) >= 13
    withdrawn_2025 = [i for i in items if i.withdrawn_on and i.withdrawn_on.year == 2025]
    assert len(withdrawn_2025) >= 3
    assert any(i.effective_from > date(2026, 12, 31) for i in items)
    assert any(i.status is ItemStatus.DELEGATED and 0 < len(i.scope) < len(STREETS) for i in items)
    assert all(i.aliases and "《" in i.legal_basis for i in items)


# ---------------------------------------------------------------- good files


def test_csv_with_bom_english_headers_in_any_order(tmp_path: Path) -> None:
    english = ["status", "code", "name", "class", "department", "legal_basis", "scope", "effective_from", "aliases"]
    order = [
        HEADER.index(c)
        for c in ["状态", "编号", "事项名称", "类别", "原行使部门", "执法依据", "赋权范围", "生效日期", "别名"]
    ]
    path = write_csv(tmp_path / "c.csv", [english, [GOOD_ROW[i] for i in order]], encoding="utf-8-sig")
    (loaded,) = load_catalogue_file(path)
    assert loaded == item(aliases=("占道经营", "摆摊"))


def test_gb18030_csv_from_excel(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "gb.csv", [HEADER, GOOD_ROW], encoding="gb18030")
    assert load_catalogue_file(path)[0].name == GOOD_ROW[1]


def test_xlsx_with_real_dates_and_blank_rows(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append([*GOOD_ROW[:7], date(2024, 11, 1), None, GOOD_ROW[9]])
    sheet.append([None] * len(HEADER))
    sheet.append(
        [
            "T-2",
            "对发布虚假广告的处罚",
            "市场监管",
            "区市场监督管理局",
            "《中华人民共和国广告法》第五十五条",
            "全部街道",
            "已收回",
            "2024/11/1",
            date(2025, 9, 1),
            None,
        ]
    )
    workbook.save(tmp_path / "c.xlsx")
    first, second = load_catalogue_file(tmp_path / "c.xlsx", is_sample=True)
    assert first == item(aliases=("占道经营", "摆摊"), is_sample=True)
    assert second.scope == frozenset(STREETS)
    assert (second.effective_from, second.withdrawn_on) == (date(2024, 11, 1), date(2025, 9, 1))


def test_exported_rows_load_back_unchanged(tmp_path: Path) -> None:
    items = load_catalogue_file(DATA / "demo_catalogue.csv")
    rows = list(iter_rows_for_export(items))
    path = write_csv(tmp_path / "round.csv", [list(rows[0])] + [list(r.values()) for r in rows])
    assert load_catalogue_file(path) == items


# ---------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({6: "已赋予"}, "第 2 行「状态」列：'已赋予' 不是 已赋权/未赋权/已收回 之一"),
        ({2: "城管"}, "第 2 行「类别」列：'城管' 不是 应急管理/市场监管/综合执法 之一"),
        ({5: "浮桥、清濛经济开发区"}, "第 2 行「赋权范围」列：'清濛经济开发区'"),
        ({7: "2024-13-01"}, "第 2 行「生效日期」列：'2024-13-01' 不是有效日期"),
        ({7: "去年"}, "第 2 行「生效日期」列：'去年' 不是有效日期"),
        ({8: "2024-01-01"}, "第 2 行「收回日期」列：收回日期 2024-01-01 早于生效日期 2024-11-01"),
        ({1: ""}, "第 2 行「事项名称」列：不能为空"),
        ({0: "  "}, "第 2 行「编号」列：不能为空"),
        ({5: ""}, "第 2 行「赋权范围」列：状态为已赋权时必须填写"),
        ({5: "、、"}, "第 2 行「赋权范围」列：状态为已赋权时必须填写"),  # only separators: delegated nowhere
        ({4: "条" * 4001}, "第 2 行「执法依据」列：超过 4000 个字"),  # failed at the database on PostgreSQL
        ({0: "X" * 65}, "第 2 行「编号」列：超过 64 个字"),
    ],
)
def test_bad_cell_is_named_by_row_and_column(tmp_path: Path, row: dict[int, str], expected: str) -> None:
    bad = list(GOOD_ROW)
    for index, value in row.items():
        bad[index] = value
    errors = errors_of(write_csv(tmp_path / "bad.csv", [HEADER, bad]))
    assert len(errors) == 1 and errors[0].startswith(expected), errors


def test_every_bad_row_is_reported_with_excel_row_numbers(tmp_path: Path) -> None:
    second = [*GOOD_ROW[:6], "已赋予", *GOOD_ROW[7:]]
    rows = [HEADER, GOOD_ROW, [""] * 10, ["T-2", *GOOD_ROW[1:]], ["T-1", *GOOD_ROW[1:6], *second[6:]]]
    errors = errors_of(write_csv(tmp_path / "bad.csv", rows))
    assert errors == [
        "第 5 行「状态」列：'已赋予' 不是 已赋权/未赋权/已收回 之一",
        "第 5 行「编号」列：'T-1' 与第 2 行重复",
    ]


def test_missing_and_repeated_columns(tmp_path: Path) -> None:
    header = [c for c in HEADER if c not in ("类别", "生效日期")] + ["name"]
    errors = errors_of(write_csv(tmp_path / "cols.csv", [header, GOOD_ROW[:9]]))
    assert "第 1 行（表头）「事项名称」列出现了不止一次" in errors
    assert "第 1 行（表头）缺少「类别」列" in errors
    assert "第 1 行（表头）缺少「生效日期」列" in errors


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.csv", b"", "文件是空的"),
        ("blank.csv", b"\n\n,,\n", "文件是空的"),
        ("header_only.csv", ",".join(HEADER).encode(), "文件只有表头"),
        ("prose.csv", "请各街道于十月底前报送事项清单。\n谢谢".encode(), "无法作为表格读取"),
        ("binary.csv", bytes(range(256)) * 4, "无法作为表格读取"),
        ("fake.xlsx", b"PK\x03\x04 not really a workbook", "无法作为表格读取"),
        ("notes.txt", b"hello", "不支持的文件类型「.txt」"),
        ("title_row.csv", f"\n{','.join(HEADER)}\n".encode(), "无法作为表格读取"),
    ],
)
def test_files_that_are_not_catalogues(tmp_path: Path, name: str, content: bytes, expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    errors = errors_of(path)
    assert len(errors) == 1 and expected in errors[0], errors


def test_too_many_rows(tmp_path: Path) -> None:
    rows = [HEADER] + [[f"T-{n}", *GOOD_ROW[1:]] for n in range(MAX_DATA_ROWS + 1)]
    assert "超过 5000 行" in errors_of(write_csv(tmp_path / "big.csv", rows))[0]


def test_too_big_file(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_bytes(b"x" * (5 * 1024 * 1024 + 1))
    assert "上限 5 MB" in errors_of(path)[0]


def test_error_summary_lists_the_first_errors_and_counts_the_rest() -> None:
    error = CatalogueFileError([f"第 {n} 行" for n in range(2, 32)])
    text = str(error)
    assert text.startswith("文件未导入（共 30 处错误，未做任何修改）：")
    assert "第 21 行" in text and "第 22 行" not in text and "另有 10 处错误未列出" in text


# ---------------------------------------------------------------- diff


def test_diff_sorts_items_for_the_import_preview() -> None:
    old = [item(code="A", name="甲"), item(code="B", name="乙"), item(code="C", name="丙"), item(code="D", name="丁")]
    new = [
        item(code="A", name="甲", is_sample=True),
        item(code="B", name="乙", scope=frozenset(STREETS)),
        item(code="C", name="丙", status=ItemStatus.WITHDRAWN, withdrawn_on=date(2025, 6, 30)),
        item(code="E", name="戊"),
    ]
    diff = diff_catalogues(old, new)
    assert diff.added == ["戊"]
    assert diff.changed == ["乙"]
    assert sorted(diff.withdrawn) == ["丁", "丙"]
    assert diff.unchanged == ["甲"]
