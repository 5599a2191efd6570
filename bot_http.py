"""The bot's HTTP client for the Bot API: PTB's HTTPXRequest with a bounded number of requests in flight.

Why: httpcore re-examines every pooled connection, and every request queued for one, each time a
request starts or ends. With PTB's default pool of 256 connections and 50 replies at once that
bookkeeping was about a fifth of the bot's CPU per update. Telegram accepts about 30 messages a
second per bot, so 16 requests in flight are plenty even at 300-500 ms round trips; further
requests wait here, on a plain semaphore, instead of in httpcore's queue.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telegram.request import HTTPXRequest

IN_FLIGHT = 16


class BoundedRequest(HTTPXRequest):
    """At most `in_flight` requests at once, each on its own pooled keep-alive connection."""

    def __init__(self, in_flight: int = IN_FLIGHT, **kwargs: Any) -> None:
        super().__init__(connection_pool_size=in_flight, **kwargs)
        self._in_flight = asyncio.Semaphore(in_flight)

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        async with self._in_flight:
            return await super().do_request(*args, **kwargs)
