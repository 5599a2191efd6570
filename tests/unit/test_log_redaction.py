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


def test_debug_logging_keeps_ptb_from_logging_message_texts_and_phone_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    root, ptb = logging.getLogger(), logging.getLogger("telegram")
    saved = root.handlers[:], root.level, ptb.level
    try:
        setup_logging("DEBUG")
        # what PTB's Bot logs at DEBUG for every call (telegram/_bot.py: "Calling Bot API endpoint ...")
        logging.getLogger("telegram.Bot").debug("Calling Bot API endpoint `sendMessage` with parameters `%s`",
                                                {"text": "联系电话 13900000001"})
        logging.getLogger("bot").debug("our own debug line")
    finally:
        root.handlers[:], level, ptb_level = saved
        root.setLevel(level)
        ptb.setLevel(ptb_level)
    err = capsys.readouterr().err
    assert "our own debug line" in err and "13900000001" not in err
