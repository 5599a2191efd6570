"""The e2e fork server behaves like a plain subprocess for what the harness uses: exit codes, the
log file, the environment, signals."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from tests.e2e.forkserver import fork_server
from tests.e2e.harness import ROOT

pytestmark = pytest.mark.skipif(os.environ.get("E2E_FORK_SERVER") == "0", reason="fork server turned off")


async def test_child_runs_the_script_with_its_own_env_and_exit_code(tmp_path: Path) -> None:
    server = fork_server()
    assert server is not None
    script = tmp_path / "probe.py"
    script.write_text("import os, sys\nprint('argv', sys.argv[1:], os.environ['PROBE'])\nsys.exit(7)\n")
    log = tmp_path / "probe.log"
    proc = server.spawn([str(script), "x"], env={"PROBE": "ok", "PATH": "/usr/bin:/bin"}, cwd=ROOT, log=log)
    assert await asyncio.wait_for(proc.wait(), 10) == 7
    assert proc.returncode == 7
    assert log.read_text() == "argv ['x'] ok\n"


async def test_sigkill_is_reported_as_minus_nine_and_sigterm_stops(tmp_path: Path) -> None:
    server = fork_server()
    assert server is not None
    script = tmp_path / "sleeper.py"
    script.write_text("import time\nprint('up', flush=True)\ntime.sleep(60)\n")
    for sig, expected in ((signal.SIGKILL, -9), (signal.SIGTERM, -15)):
        log = tmp_path / f"sleeper-{sig}.log"
        proc = server.spawn([str(script)], env={}, cwd=ROOT, log=log)
        for _ in range(200):
            if log.exists() and log.read_text():
                break
            await asyncio.sleep(0.02)
        assert proc.returncode is None
        proc.send_signal(sig)
        assert await asyncio.wait_for(proc.wait(), 10) == expected
