"""The bot's HTTP client for Bot API calls: PTB's request interface on aiohttp.

Why (issue 14, measured with bench/lookup_e2e.py): PTB's default HTTPXRequest cost about 1.3 ms of
CPU per sendMessage with 50 replies at once, a third of the bot's CPU per lookup. Most of it was
httpcore's pool bookkeeping, which re-examines every pooled connection and every queued request
each time a request starts or ends (256 connections by default), plus a failed `import sniffio`
per pool operation. aiohttp, already a dependency, does the same call for about a fifth of that.

At most IN_FLIGHT requests run at once: Telegram accepts about 30 messages a second per bot, so
16 keep-alive connections are plenty even at 300-500 ms round trips. getUpdates keeps PTB's own
httpx request (one call per batch of updates).
"""

from __future__ import annotations

import functools
import re
import urllib.parse
import urllib.request

import aiohttp
import yarl
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

IN_FLIGHT = 16
_TOKEN_SHAPED = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")


class AiohttpRequest(BaseRequest):
    """PTB's request interface on aiohttp (already a dependency): same contract as HTTPXRequest,
    a fraction of its CPU per call (C HTTP parser, a simple connection pool). aiohttp has no
    write timeout; the read timeout (longer for uploads) bounds the wait for each answer, and an
    upload is capped as a whole (connect + pool + write + read), so a stalled body cannot hang."""

    def __init__(
        self,
        in_flight: int = IN_FLIGHT,
        *,
        connect_timeout: float | None = 5.0,
        read_timeout: float | None = 5.0,
        pool_timeout: float | None = 10.0,
        media_read_timeout: float | None = 20.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._in_flight = in_flight
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._pool_timeout = pool_timeout
        self._media_read_timeout = media_read_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._in_flight), headers={"User-Agent": self.USER_AGENT},
                # No trust_env: it reads ~/.netrc in a thread for EVERY request (a quarter of the
                # bot's CPU per lookup, py-spy). Proxies from the environment are honoured below.
                trust_env=False,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        read = _value(read_timeout, self._media_read_timeout if files else self._read_timeout)
        connect = _value(connect_timeout, self._connect_timeout)
        pool = _value(pool_timeout, self._pool_timeout)
        total = None
        if files:  # aiohttp has no write timeout: an upload that stalls mid-body is capped as a whole
            write = _value(write_timeout, self._media_write_timeout)
            total = sum(t for t in (connect, pool, write, read) if t is not None) or None
        timeout = aiohttp.ClientTimeout(
            total=total, connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect, sock_read=read,
        )
        body: aiohttp.FormData | dict[str, str] | None = fields
        if files:
            body = aiohttp.FormData(quote_fields=False)  # UTF-8 file names as httpx sends them
            for name, value in (fields or {}).items():
                body.add_field(name, value)
            for name, part in files.items():
                if isinstance(part, tuple):
                    filename, content, *rest = part
                    body.add_field(name, content, filename=filename, content_type=rest[0] if rest else None)
                else:
                    body.add_field(name, part)
        try:
            async with self._session.request(method, url, data=body, timeout=timeout,
                                             proxy=_proxy_for(url)) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            # Some aiohttp messages quote the whole URL (a bad scheme, "Can not write request body
            # for <url>"); its path holds the token, and the message reaches stored delivery
            # errors that coordinators see. Keep host and port, drop the path.
            raise NetworkError(_without_path(f"aiohttp.{exc.__class__.__name__}: {exc}", url)) from exc


def _without_path(text: str, url: str) -> str:
    """The text with the URL's path (bot token and method) replaced, in raw and normalized forms."""
    _scheme, sep, rest = url.partition("://")
    path = rest[rest.find("/"):] if sep and "/" in rest else url
    origin = url[: len(url) - len(path)]  # scheme://host:port, empty when the URL has no path
    hidden = {url: origin + "/…", path: "/…"}
    try:
        parsed = yarl.URL(url)
        hidden |= {str(parsed): origin + "/…", parsed.path: "/…", parsed.raw_path: "/…"}
    except (TypeError, ValueError):
        pass
    for form in sorted((f for f in hidden if len(f) > 1), key=len, reverse=True):
        text = text.replace(form, hidden[form])
    return _TOKEN_SHAPED.sub("<token>", text)


def _value(given: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(given, DefaultValue) else given


@functools.lru_cache(maxsize=16)
def _proxy_for(url: str) -> str | None:
    """HTTPS_PROXY / HTTP_PROXY / ALL_PROXY and NO_PROXY from the environment, as httpx read them;
    looked up once per URL (the Bot API URLs are a handful)."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.hostname is None or urllib.request.proxy_bypass_environment(parsed.hostname):
        return None
    proxies = urllib.request.getproxies_environment()
    return proxies.get(parsed.scheme) or proxies.get("all")
