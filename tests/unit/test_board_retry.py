"""A board that could not be posted is retried by the board job, with a pause that doubles up to a
cap, so a coordinator who blocked the bot costs one attempt per half hour, not one per flush."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from handlers import dispatch_notices as notices


def test_missing_board_is_due_at_once_then_after_doubling_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [datetime(2026, 12, 3, tzinfo=UTC)]
    monkeypatch.setattr(notices, "utcnow", lambda: now[0])
    board = notices.BoardRefresher()
    board.post_missing(7)
    assert board._due_posts() == {7}
    board.post_missing(7)  # the scan finding it again changes nothing
    pauses = []
    for _ in range(12):
        board._retry_later(7)
        start = now[0]
        while board._due_posts() != {7}:
            now[0] += timedelta(seconds=1)
        pauses.append((now[0] - start).total_seconds())
    assert pauses[:4] == [10, 20, 40, 80] and max(pauses) == notices.MISSING_BOARD_PAUSE_MAX.total_seconds()
    board._forget(7)
    assert board._due_posts() == set()
