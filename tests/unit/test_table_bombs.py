"""Issue 13 item 8: an XLSX "dimension bomb" (a few KB declaring A1:XFD1048576, with a cell in
the very last row and column) must parse fast and small: rows streamed, the declared dimension
ignored, columns past the cap ignored, empty padding skipped. Measured in CPU time
(time.process_time) and peak-RSS growth (getrusage) of a child interpreter, not wall time."""

from __future__ import annotations

import io
import json
import re
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from knowledge.catalogue import CatalogueFileError, load_catalogue_file
from knowledge.roster import load_roster_file
from knowledge.tables import TableFileError, read_table

ROOT = Path(__file__).resolve().parents[2]
ROSTER_HEADER = ["姓名", "手机", "角色", "街道", "片区"]
ROSTER_ROWS = [["张三", "13900000001", "执法人员", "浮桥街道", "江南新区"],
               ["李四", "13900000002", "协调员", "", "老城区"]]
FAR_CELL = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'


def bomb(path: Path, header: list[str], rows: list[list[str]], tail: str = FAR_CELL) -> Path:
    """An honest workbook whose sheet XML then declares A1:XFD1048576 and ends with `tail`."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                xml = re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', data.decode())
                assert "A1:XFD1048576" in xml
                data = xml.replace("</sheetData>", tail + "</sheetData>").encode()
            out.writestr(info.filename, data)
    return path


CHILD = """
import json, resource, sys, time
from pathlib import Path
from knowledge.catalogue import CatalogueFileError, load_catalogue_file
from knowledge.roster import load_roster_file
from knowledge.tables import TableFileError
loader = load_roster_file if sys.argv[1] == "roster" else load_catalogue_file
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
cpu = time.process_time()
try:
    names = [getattr(row, "name") for row in loader(Path(sys.argv[2]))]
except (TableFileError, CatalogueFileError) as exc:
    names = ["refused: " + str(exc)]
cpu = time.process_time() - cpu
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"names": names, "cpu": cpu, "grown_kib": grown}))
"""


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))  # an unfixed parse dies here, not the machine


def parse_in_child(kind: str, path: Path, timeout: float = 60.0) -> dict:  # type: ignore[type-arg]
    """Load the file in a fresh interpreter: its own CPU time and peak-memory growth, no tracemalloc
    overhead, and a runaway (unfixed) parse ends in a MemoryError or a timeout, not a hung suite."""
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, kind, str(path)], cwd=ROOT, capture_output=True,
                              text=True, timeout=timeout, preexec_fn=_limit_memory)
    except subprocess.TimeoutExpired:
        pytest.fail(f"parsing {path.name} took more than {timeout}s")
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("tail", [FAR_CELL, '<row r="1048576"/>', '<row r="1048576" spans="1:16384"><c r="A1048576"/></row>'])
def test_dimension_bomb_roster_parses_fast_and_small(tmp_path: Path, tail: str) -> None:
    path = bomb(tmp_path / "名册.xlsx", ROSTER_HEADER, ROSTER_ROWS, tail)
    assert path.stat().st_size < 10_000  # a few KB on disk
    result = parse_in_child("roster", path)
    assert result["names"] == ["张三", "李四"]  # the padding is ignored, nothing invented
    # Unfixed: 16 384 cells x 1 048 576 rows, i.e. minutes and gigabytes (dies at the 1.5 GiB limit).
    assert result["cpu"] < 2.0, result
    assert result["grown_kib"] < 50 * 1024, result


def test_dimension_bomb_catalogue_parses_fast_and_small(tmp_path: Path) -> None:
    header = ["编号", "事项名称", "类别", "原行使部门", "执法依据", "赋权范围", "状态", "生效日期"]
    rows = [["T-001", "占道经营", "市场监管", "区市场监督管理局", "《示例条例》第一条", "全部街道", "已赋权", "2024-01-01"]]
    path = bomb(tmp_path / "清单.xlsx", header, rows)
    result = parse_in_child("catalogue", path)
    assert result["names"] == ["占道经营"]
    assert result["cpu"] < 2.0, result
    assert result["grown_kib"] < 50 * 1024, result


def test_rows_past_the_cap_stop_the_read(tmp_path: Path) -> None:
    many = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>名{n}</t></is></c></row>' for n in range(4, 40_000))
    path = bomb(tmp_path / "多.xlsx", ROSTER_HEADER, ROSTER_ROWS, many)
    cpu = time.process_time()
    with pytest.raises(TableFileError, match="超过 100 行"):
        read_table(path, {"name": ("姓名",)}, required=("name",), max_rows=100)
    assert time.process_time() - cpu < 2.0
    with pytest.raises(CatalogueFileError, match="超过"):
        header = ["编号", "事项名称"]
        load_catalogue_file(bomb(tmp_path / "多清单.xlsx", header, [], many))


def test_row_beyond_excel_last_row_is_refused(tmp_path: Path) -> None:
    path = bomb(tmp_path / "怪.xlsx", ROSTER_HEADER, ROSTER_ROWS, '<row r="50000000"><c r="A50000000" t="inlineStr"><is><t>x</t></is></c></row>')
    result = parse_in_child("roster", path)
    assert result["names"][0].startswith("refused: 无法读取为表格"), result
    assert result["cpu"] < 2.0, result


def test_zip_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    path = bomb(tmp_path / "大.xlsx", ROSTER_HEADER, ROSTER_ROWS)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/padding.bin", b"\0" * (64 * 2**20))  # 64 MiB of zeros: ~64 KB packed
    assert path.stat().st_size < 200_000
    with pytest.raises(TableFileError, match="解压后"):
        load_roster_file(path)


def test_wide_csv_is_capped(tmp_path: Path) -> None:
    path = tmp_path / "宽.csv"
    path.write_text(",".join(ROSTER_HEADER) + "," * 1_000_000 + "\n" + ",".join(ROSTER_ROWS[0]) + "\n", encoding="utf-8")
    result = parse_in_child("roster", path)
    assert result["names"] == ["张三"]
    assert result["grown_kib"] < 50 * 1024, result


@pytest.mark.parametrize("kind", ["roster", "catalogue"])
def test_one_row_of_a_million_cells_is_refused_before_openpyxl_builds_it(tmp_path: Path, kind: str) -> None:
    """A ~60 KB upload whose row 3 holds a million cells: openpyxl built the whole row (an element
    and a dict per cell) before any column cap, about 5 s of CPU and 500+ MB (measured unfixed:
    1.9 million cells, 104 KB file, 10 s CPU, 1 GB RSS)."""
    cells = '<c r="A3"><v>1</v></c>' * 1_000_000
    path = bomb(tmp_path / "名册.xlsx", ROSTER_HEADER, ROSTER_ROWS, f'<row r="3">{cells}</row>')
    assert path.stat().st_size < 100_000
    result = parse_in_child(kind, path)
    assert result["names"][0].startswith("refused"), result
    assert result["cpu"] < 2.0, result
    assert result["grown_kib"] < 50 * 1024, result


def test_an_honest_wide_enough_workbook_still_loads(tmp_path: Path) -> None:
    rows = [[f"人员{i}", f"139{i:08d}", "执法人员", "浮桥街道", "江南新区"] for i in range(3000)]
    path = bomb(tmp_path / "名册.xlsx", ROSTER_HEADER, rows, "")
    assert len(load_roster_file(path)) == 3000


def _with_shared_strings(source: Path, target: Path, strings: list[str]) -> Path:
    """The workbook with its shared strings replaced (and declared, if it had none)."""
    body = "".join(f"<si><t>{text}</t></si>" for text in strings)
    table = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
             f' count="{len(strings)}" uniqueCount="{len(strings)}">{body}</sst>')
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for name in old.namelist():
            data = old.read(name)
            if name == "[Content_Types].xml" and b"sharedStrings" not in data:
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType='
                                    b'"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            if name == "xl/_rels/workbook.xml.rels" and b"sharedStrings" not in data:
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdSS" Type="http://schemas.openxmlformats.org/'
                                    b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
            if name != "xl/sharedStrings.xml":
                new.writestr(name, data)
        new.writestr("xl/sharedStrings.xml", table)
    return target


def test_a_million_shared_strings_are_refused_before_openpyxl_reads_them(tmp_path: Path) -> None:
    """Unfixed: 2.3 million one-letter shared strings (a 100 KB file) took 26 s of CPU per read."""
    base = bomb(tmp_path / "base.xlsx", ROSTER_HEADER, ROSTER_ROWS, "")
    path = _with_shared_strings(base, tmp_path / "名册.xlsx", ["a"] * 1_000_000)
    assert path.stat().st_size < 100_000
    result = parse_in_child("roster", path)
    assert result["names"][0].startswith("refused"), result
    assert result["cpu"] < 2.0, result


def test_many_distinct_shared_strings_of_an_honest_file_still_load(tmp_path: Path) -> None:
    base = bomb(tmp_path / "base.xlsx", ROSTER_HEADER, ROSTER_ROWS, "")
    path = _with_shared_strings(base, tmp_path / "名册.xlsx", [f"备注{i}" for i in range(40_000)])
    assert [row.name for row in load_roster_file(path)] == ["张三", "李四"]


@pytest.mark.parametrize("split_at", range(0, 12))
def test_tags_across_a_chunk_border_are_counted_once(tmp_path: Path, split_at: int) -> None:
    """The byte scan reads in chunks: a <si> or sheetData cut by a chunk border is found, and once."""
    from knowledge.tables import _scan_part

    body = (b"<sst>" + b"<si><t>a</t></si>" * 2 + b"<si\n><t>a</t></si><x:si/><si\t>b</si>"
            + b"</sst><worksheet><sheetData/></worksheet>")
    part = b"x" * (64 - split_at) + body
    path = tmp_path / "parts.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/anything.xml", part)
    with zipfile.ZipFile(path) as archive:
        for size in (7, 16, 64, 1 << 20):
            assert _scan_part(archive, "xl/anything.xml", chunk_size=size) == (5, True)


def _reencoded(source: Path, target: Path, part: str) -> Path:
    """The workbook with one XML part re-encoded as UTF-16 (its declaration saying so)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for name in old.namelist():
            data = old.read(name)
            if name == part:
                text = re.sub(r"^<\?xml[^>]*\?>", "", data.decode())
                data = ('<?xml version="1.0" encoding="UTF-16" standalone="yes"?>' + text).encode("utf-16")
            new.writestr(name, data)
    return target


@pytest.mark.parametrize("kind", ["wide row", "shared strings"])
def test_a_bomb_in_utf16_xml_is_refused_too(tmp_path: Path, kind: str) -> None:
    """The byte scan cannot read UTF-16, so such a part gets the full XML count."""
    if kind == "wide row":
        cells = '<c r="A3"><v>1</v></c>' * 400_000
        base = bomb(tmp_path / "base.xlsx", ROSTER_HEADER, ROSTER_ROWS, f'<row r="3">{cells}</row>')
        path = _reencoded(base, tmp_path / "名册.xlsx", "xl/worksheets/sheet1.xml")
    else:
        base = _with_shared_strings(bomb(tmp_path / "b.xlsx", ROSTER_HEADER, ROSTER_ROWS, ""), tmp_path / "s.xlsx",
                                    ["a"] * 400_000)
        path = _reencoded(base, tmp_path / "名册.xlsx", "xl/sharedStrings.xml")
    result = parse_in_child("roster", path)
    assert result["names"][0].startswith("refused"), result
