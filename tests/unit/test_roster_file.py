"""Roster files: valid rows parse, every bad cell is named by row and column, nothing partial."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from knowledge.roster import load_roster_file, normalize_phone
from knowledge.tables import TableFileError

HEADER = "姓名,手机,角色,街道,片区,单位,执法证号,执法证有效期,telegram_id\n"


def write(tmp_path: Path, body: str, header: str = HEADER, encoding: str = "utf-8") -> Path:
    path = tmp_path / "roster.csv"
    path.write_bytes((header + body).encode(encoding))
    return path


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("13800000001", "13800000001"), ("+86 138-0000-0001", "13800000001"), ("8613800000001", "13800000001"),
     ("138 0000 0001", "13800000001"), ("12800000001", None), ("1380000000", None), ("", None), ("abc", None),
     ("13８00000001", "13800000001"),  # a full-width digit: stored in ASCII, so it matches a shared contact
     ("138٠0000001", None)],  # an Arabic-Indic digit: \d took it, and the phone never matched
)
def test_normalize_phone(raw: str, expected: str | None) -> None:
    assert normalize_phone(raw) == expected


def test_valid_rows_derive_zone_from_street(tmp_path: Path) -> None:
    path = write(tmp_path, "张三,13800000001,执法人员,浮桥,,浮桥街道综合执法队,X1,2027-01-31,\n"
                           "李四,+86 13800000002,协调员,,老城区,直属一中队,,,12345\n")
    rows = load_roster_file(path)
    assert [(r.name, r.street, r.zone, r.role) for r in rows] == [
        ("张三", "浮桥街道", "江南新区", "officer"), ("李四", None, "老城区", "coordinator")]
    assert rows[0].certificate_expires.isoformat() == "2027-01-31"
    assert rows[1].telegram_id == 12345


def test_english_headers_any_order(tmp_path: Path) -> None:
    path = write(tmp_path, "officer,13800000001,王五,开元街道\n", header="role,phone,name,street\n")
    (row,) = load_roster_file(path)
    assert (row.name, row.zone) == ("王五", "老城区")


def test_gb18030_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "张三,13800000001,执法人员,浮桥街道,,,,,\n", encoding="gb18030")
    assert load_roster_file(path)[0].name == "张三"


def test_xlsx(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机", "角色", "街道"])
    sheet.append(["赵六", 13800000009, "法制审核", "海滨街道"])
    path = tmp_path / "r.xlsx"
    book.save(path)
    (row,) = load_roster_file(path)
    assert (row.phone, row.role, row.zone) == ("13800000009", "legal", "老城区")


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("张三,1380000,执法人员,浮桥街道,,,,,\n", "第 2 行「手机」列"),
        ("张三,13800000001,队长,浮桥街道,,,,,\n", "第 2 行「角色」列"),
        ("张三,13800000001,执法人员,泉港街道,,,,,\n", "第 2 行「街道」列"),
        ("张三,13800000001,执法人员,,,,,,\n", "第 2 行「片区」列"),
        ("张三,13800000001,执法人员,浮桥街道,老城区,,,,\n", "第 2 行「片区」列"),
        ("张三,13800000001,执法人员,浮桥街道,,,,2027/13/45,\n", "第 2 行「执法证有效期」列"),
        ("张三,13800000001,执法人员,浮桥街道,,,,,\n李四,13800000001,执法人员,浮桥街道,,,,,\n", "第 3 行「手机」列"),
        (",13800000001,执法人员,浮桥街道,,,,,\n", "第 2 行「姓名」列"),
        ("张三,13800000001,执法人员,浮桥街道,,,,,abc\n", "第 2 行「telegram_id」列"),
        ("张三,13800000001,执法人员,浮桥街道,,,,,²\n", "第 2 行「telegram_id」列"),  # isdigit() took it, int() failed
        ("张三,13800000001,执法人员,浮桥街道,,,,,0\n", "第 2 行「telegram_id」列"),
        ("张三,13800000001,执法人员,浮桥街道,," + "执" * 65 + ",,\n", "第 2 行「单位」列"),  # failed at the database
    ],
)
def test_bad_cells_are_named(tmp_path: Path, body: str, needle: str) -> None:
    with pytest.raises(TableFileError) as caught:
        load_roster_file(write(tmp_path, body))
    assert any(needle in line for line in caught.value.errors), caught.value.errors


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("r.csv", b"", "空"),
        ("r.csv", "姓名,电话\n张三,1\n".encode(), "缺少必需的列"),
        ("r.txt", b"whatever", "不支持的文件类型"),
        ("r.xlsx", b"not a zip at all", "无法读取为表格"),
        ("r.csv", HEADER.encode(), "没有数据行"),
        ("r.csv", b"\x00\x01\x02binary", "无法读取为表格"),
    ],
)
def test_malformed_files(tmp_path: Path, name: str, content: bytes, needle: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(TableFileError) as caught:
        load_roster_file(path)
    assert needle in "\n".join(caught.value.errors)
