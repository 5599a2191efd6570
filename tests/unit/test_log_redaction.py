"""Issue 13 item 9: the token never reaches the log, not even inside a logged traceback, and not
even when it does not look like a token (the configured value itself is redacted)."""

from __future__ import annotations

import logging

import pytest
from telegram.error import InvalidToken

from logs import setup_logging

ODD_TOKEN = "77:Zq9-oddSecretPart"
# Shaped like a bot token (digits, colon, 35 characters), built here so that no token-like literal is in the repo.
SHAPED_SECRET = "fakeShapedSecretPart" + "0" * 15
SHAPED_TOKEN = "1" * 9 + ":" + SHAPED_SECRET


def test_traceback_of_a_rejected_token_is_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        setup_logging("DEBUG", secrets=[ODD_TOKEN])
        try:
            raise InvalidToken(f"The token `{ODD_TOKEN}` was rejected by the server.")
        except InvalidToken:
            logging.getLogger("bot").exception("start failed with %s", ODD_TOKEN)
        logging.getLogger("bot").warning("real-looking %s too", SHAPED_TOKEN)
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    err = capsys.readouterr().err
    assert "Traceback" in err and "InvalidToken" in err  # the traceback is still there for the operator
    assert "oddSecretPart" not in err
    assert SHAPED_SECRET not in err
    assert err.count("<token>") >= 3
