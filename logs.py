"""Logging set-up. The bot token sits inside every Bot API URL, so httpx is kept at WARNING and
every record passes a redaction filter as defence in depth."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterable

from telegram.warnings import PTBUserWarning

_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
_SECRETS: set[str] = set()  # the configured token (and its secret half), whatever its shape


def redact(text: str) -> str:
    """Replace anything shaped like a bot token, and the configured token itself, by <token>."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "<token>")
    return _TOKEN.sub("<token>", text)


def add_secrets(secrets: Iterable[str | None]) -> None:
    """Remember secrets that must never be printed (a malformed token escapes the token regex)."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            _SECRETS.add(secret)
            _, _, tail = secret.partition(":")
            if len(tail) >= 4:
                _SECRETS.add(tail)


class RedactTokens(logging.Filter):
    """Redact the final message and any traceback attached to the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg = clean
            record.args = None
        if record.exc_info and not record.exc_text:
            # Cached on the record, so the formatter prints this redacted text (PTB's InvalidToken
            # carries the token in its message).
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def setup_logging(level: str = "INFO", secrets: Iterable[str | None] = ()) -> None:
    add_secrets(secrets)
    # Our conversations deliberately track callbacks per chat (per_message=False); PTB warns about
    # that on every start, which only confuses operators and newcomers in demo mode.
    warnings.filterwarnings("ignore", message=r".*per_message=False.*", category=PTBUserWarning)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "apscheduler", "alembic.runtime.migration", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # At DEBUG, PTB logs every Bot API call with its parameters and answer: message texts, names and
    # shared phone numbers. LOG_LEVEL=DEBUG is for our own code; PTB stays at INFO at most.
    logging.getLogger("telegram").setLevel(max(logging.INFO, root.level))
