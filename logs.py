"""Logging set-up. The bot token sits inside every Bot API URL, so httpx is kept at WARNING and
every record passes a redaction filter as defence in depth."""

from __future__ import annotations

import logging
import re
import warnings

from telegram.warnings import PTBUserWarning

_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")


class RedactTokens(logging.Filter):
    """Replace anything shaped like a bot token in the final message with a placeholder."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _TOKEN.search(message):
            record.msg = _TOKEN.sub("<token>", message)
            record.args = None
        return True


def setup_logging(level: str = "INFO") -> None:
    # Our conversations deliberately track callbacks per chat (per_message=False); PTB warns about
    # that on every start, which only confuses operators and newcomers in demo mode.
    warnings.filterwarnings("ignore", message=r".*per_message=False.*", category=PTBUserWarning)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "apscheduler", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
