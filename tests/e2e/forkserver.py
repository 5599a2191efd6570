"""A fork server for end-to-end tests: one process per test worker that has already imported the
bot's modules, and forks a fresh `bot.py <args>` for each start.

Why: importing python-telegram-bot, SQLAlchemy, APScheduler and the bot's own modules costs about
1.2 s of CPU, and the e2e suites start the bot some 130 times on 2 cores. A forked child runs the
very same `bot.py` as `__main__` (runpy), with its own environment, working directory, log file,
pid and exit status; it only skips the interpreter start and the imports. Signals (SIGTERM,
SIGKILL) go straight to the child's pid; this server reaps children and reports their exit codes.

Protocol (one JSON object or word per line): the client writes
``{"id": n, "argv": [...], "env": {...}, "cwd": "...", "log": "..."}`` and reads
``spawned <id> <pid>``; exits arrive as ``exit <pid> <code>`` (negative code = killed by signal,
as in asyncio/subprocess).

Only used by the test fixtures (BotProcess(fork_server=True)); bench/ measures real starts.
``E2E_FORK_SERVER=0`` turns it off.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# What `bot.py run` imports; anything missing is simply imported by the child.
PRELOAD = (
    "bot", "config", "logs", "app", "admin_commands", "db.migrate", "db.engine", "instance_lock",
    "telegram", "telegram.ext", "httpx", "sqlalchemy", "sqlmodel", "alembic", "alembic.command",
    "alembic.config", "alembic.script", "alembic.runtime.migration", "apscheduler", "anyio._backends._asyncio",
)


# ---------------------------------------------------------------------------------- server side
def _child(request: dict[str, Any], keep: list[int]) -> None:
    """In the forked child: become `python bot.py <argv>` and never return."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # as in any Python process: KeyboardInterrupt
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # as the interpreter sets it at start
        os.setpgid(0, 0)  # own process group, as a separately started process would have none shared with us
        for fd in keep:
            os.close(fd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(null)
        os.close(log)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = list(request["argv"])
        import runpy

        runpy.run_path(sys.argv[0], run_name="__main__")
        code = 0
    except SystemExit as stop:
        if stop.code is None:
            code = 0
        elif isinstance(stop.code, int):
            code = stop.code
        else:
            print(stop.code, file=sys.stderr)
            code = 1
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        try:  # what the interpreter does at exit: join non-daemon threads, run atexit, flush
            threading._shutdown()  # type: ignore[attr-defined]
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def serve() -> None:
    """Read spawn requests on stdin, answer on stdout, report exits of children."""
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    try:  # what the first query would do in every child: set up the ORM mappers once, here
        from sqlalchemy.orm import configure_mappers

        configure_mappers()
    except Exception:  # noqa: BLE001  (the child would then report it itself)
        pass
    if threading.active_count() != 1:  # forking a threaded process is unsafe: refuse, the client falls back
        print("nothreads", flush=True)
        return
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    os.set_blocking(wake_r, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the terminal goes to the test run, not here
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    live: set[int] = set()
    buffer = b""
    while True:
        try:
            ready, _, _ = select.select([0, wake_r], [], [])
        except InterruptedError:
            ready = [wake_r]
        if wake_r in ready:
            try:
                os.read(wake_r, 512)
            except BlockingIOError:
                pass
        while True:  # reap every finished child
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            live.discard(pid)
            out.write(f"exit {pid} {os.waitstatus_to_exitcode(status)}\n")
        out.flush()
        if 0 in ready:
            chunk = os.read(0, 65536)
            if not chunk:  # the test worker is done (or gone): no bot outlives it
                for pid in live:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                return
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                request = json.loads(line)
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    _child(request, [wake_r, wake_w])
                live.add(pid)
                out.write(f"spawned {request['id']} {pid}\n")
                out.flush()


# ---------------------------------------------------------------------------------- client side
class ForkedProcess:
    """Looks like asyncio.subprocess.Process for what the harness needs: pid, returncode, wait,
    send_signal, terminate, kill."""

    def __init__(self, server: ForkServer, pid: int, generation: int):
        self._server = server
        self.pid = pid
        self._generation = generation  # pids are reused: (pid, generation) names this child

    @property
    def returncode(self) -> int | None:
        return self._server.exit_code(self.pid, self._generation)

    async def wait(self) -> int:
        import asyncio

        while True:
            code = self.returncode
            if code is not None:
                return code
            if not self._server.alive():
                raise RuntimeError("the fork server died; the bot child's exit status is unknown")
            await asyncio.sleep(0.02)

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkServer:
    """Client of one fork server subprocess (started lazily, one per test worker process)."""

    def __init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "WEBHOOK_"))}
        env["PYTHONUNBUFFERED"] = "1"
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.forkserver"], cwd=ROOT, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
        )
        assert self._proc.stdout is not None
        first = self._proc.stdout.readline().strip()
        if first != "ready":
            self._proc.kill()
            self._proc.wait()
            raise RuntimeError(f"fork server did not start ({first!r})")
        self._cond = threading.Condition()
        self._exits: dict[tuple[int, int], int] = {}
        self._generation: dict[int, int] = {}
        self._spawned: dict[int, tuple[int, int]] = {}
        self._next = 0
        self._reader = threading.Thread(target=self._read, name="forkserver-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            word, a, b = (line.split() + ["", "", ""])[:3]
            with self._cond:
                if word == "exit":
                    pid = int(a)
                    self._exits[(pid, self._generation.get(pid, 0))] = int(b)
                elif word == "spawned":
                    pid = int(b)
                    self._generation[pid] = self._generation.get(pid, 0) + 1
                    self._spawned[int(a)] = (pid, self._generation[pid])
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def alive(self) -> bool:
        return self._proc.poll() is None

    def exit_code(self, pid: int, generation: int) -> int | None:
        with self._cond:
            return self._exits.get((pid, generation))

    def spawn(self, argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> ForkedProcess:
        assert self._proc.stdin is not None
        with self._cond:
            self._next += 1
            request_id = self._next
        request = {"id": request_id, "argv": argv, "env": env, "cwd": str(cwd), "log": str(log)}
        self._proc.stdin.write(json.dumps(request) + "\n")
        self._proc.stdin.flush()
        with self._cond:
            if not self._cond.wait_for(lambda: request_id in self._spawned or not self.alive(), timeout=10):
                raise RuntimeError("fork server did not answer")
            if request_id not in self._spawned:
                raise RuntimeError("fork server died")
            pid, generation = self._spawned.pop(request_id)
            return ForkedProcess(self, pid, generation)

    def close(self) -> None:
        if self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


_server: ForkServer | None = None
_failed = False


def fork_server() -> ForkServer | None:
    """This worker's fork server, started on first use; None when off or not startable."""
    global _server, _failed
    if os.environ.get("E2E_FORK_SERVER", "1") == "0" or _failed:
        return None
    if _server is None or not _server.alive():
        try:
            _server = ForkServer()
        except (OSError, RuntimeError):
            _failed = True
            return None
        atexit.register(_server.close)
    return _server


if __name__ == "__main__":
    serve()
