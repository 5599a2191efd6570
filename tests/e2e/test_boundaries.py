"""Street polygons: import-boundaries validates all or nothing; once imported, the case flow
proposes the polygon's street instead of the reporter's own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import select

from db.boundaries import StreetBoundarySet
from tests.e2e.harness import ROOT, Stack

INSIDE = (24.9030, 118.5870)  # in 鲤城区, inside the square below


def square(lat: float, lon: float, half: float = 0.002) -> list[list[list[float]]]:
    return [[[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half],
             [lon - half, lat - half]]]


def run_import(path: Path, db_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db_url}
    return subprocess.run([sys.executable, "bot.py", "import-boundaries", str(path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


async def test_imported_polygon_sets_the_proposed_street(stack: Stack, tmp_path: Path) -> None:
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "泉港街道"}, "geometry": {"type": "Polygon", "coordinates": square(*INSIDE)}}]}))
    done = run_import(bad, stack.bot.db_url)
    assert done.returncode != 0 and "没有任何改动" in done.stderr
    good = tmp_path / "streets.geojson"
    good.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "开元街道"}, "geometry": {"type": "Polygon", "coordinates": square(*INSIDE)}}]}))
    done = run_import(good, stack.bot.db_url)
    assert done.returncode == 0, done.stderr
    with stack.db.session() as session:
        assert len(session.exec(select(StreetBoundarySet)).all()) == 1
    await stack.bot.stop()
    await stack.bot.start()  # boundaries are loaded at start-up
    officer = stack.user("officer")  # a 浮桥 officer reporting in the 开元 polygon
    await officer.send_command("/case")
    await officer.wait_for_text("在哪里")
    await officer.send_location(*INSIDE)
    proposal = await officer.wait_for_text("街道边界")
    assert "属于 开元街道" in proposal.text and "您所在街道" not in proposal.text
