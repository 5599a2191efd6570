"""The emulator runs inside the test process, under pytest's "warnings are errors" filter. aiohttp's
multipart reader calls its own deprecated unread_data() when an upload arrives split at an
unlucky place; that must not turn into a 500 from the emulator (it failed an export test once)."""

from __future__ import annotations

import asyncio
from unittest import mock

from aiohttp import streams


async def test_aiohttp_unread_data_deprecation_is_not_an_error() -> None:
    reader = streams.StreamReader(mock.Mock(_reading_paused=False), limit=2**16, loop=asyncio.get_running_loop())
    reader.feed_data(b"tail")
    reader.unread_data(b"head")  # raised DeprecationWarning as an error before pyproject ignored it
    assert await reader.read(8) == b"headtail"
