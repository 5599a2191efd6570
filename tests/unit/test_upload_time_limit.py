"""Issue 13 item 8: an uploaded file is parsed in a worker thread with a time limit. A parse that
takes too long is refused with a clear answer, and the event loop keeps serving others meanwhile."""

from __future__ import annotations

import asyncio
import threading
import time
from types import SimpleNamespace
from typing import Any
from unittest.mock import AsyncMock

import pytest

import texts
from db.models import Role
from handlers import lookup
from handlers.context import Actor


def fake_update_and_context(replies: list[str]) -> tuple[Any, Any]:
    async def reply_text(text: str, **_: Any) -> None:
        replies.append(text)

    file = SimpleNamespace(download_as_bytearray=AsyncMock(return_value=bytearray(b"a,b\n1,2\n")))
    document = SimpleNamespace(file_name="名册.csv", file_size=8, get_file=AsyncMock(return_value=file))
    message = SimpleNamespace(document=document, reply_text=reply_text)
    update = SimpleNamespace(effective_message=message, callback_query=None)
    service = SimpleNamespace(ready=AsyncMock(return_value=None), items=[])
    context = SimpleNamespace(
        actor=Actor(telegram_id=1, person_id=1, name="管理员", role=Role.ADMIN, street=None, zone=None, department=None),
        services=SimpleNamespace(extras={"catalogue": service}), db=None, user_data={},
    )
    return update, context


async def test_slow_parse_is_cut_off_and_the_loop_stays_free(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def slow_parse(*_: Any) -> None:
        release.wait(10)  # a pathological file
        return None

    monkeypatch.setattr(lookup, "_preview_upload", slow_parse)
    monkeypatch.setattr(lookup, "PARSE_SECONDS", 0.5)
    replies: list[str] = []
    update, context = fake_update_and_context(replies)
    ticks = 0

    async def other_users() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.02)
            ticks += 1

    ticker = asyncio.create_task(other_users())
    started = time.monotonic()
    try:
        await lookup.on_document(update, context)
    finally:
        ticker.cancel()
        release.set()
    assert time.monotonic() - started < 3
    assert len(replies) == 1 and replies[0].startswith(texts.IMPORT_TIMEOUT.format(seconds=0.5))
    assert "pending_import" not in context.user_data
    assert ticks >= 10  # the loop kept running while the file was being parsed
