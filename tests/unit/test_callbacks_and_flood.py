"""Callback data codec refuses forged shapes; the flood gate warns once then drops."""

from __future__ import annotations

import pytest

from handlers.callbacks import decode, encode
from handlers.flood import FloodGate


def test_round_trip() -> None:
    data = encode("dsp", "ack", 42, 3)
    assert data == "dsp:ack:42:3"
    decoded = decode(data)
    assert decoded is not None and (decoded.feature, decoded.action, decoded.ident, decoded.version) == ("dsp", "ack", "42", "3")


@pytest.mark.parametrize(
    "forged",
    ["", "x", ":", "a::", "dsp:ack:1:2:3", "dsp:ack:<script>", "x" * 65, "dsp:ack:" + "9" * 60, "收到:1", "dsp:ack:1 OR 1=1", None],
)
def test_forged_shapes_decode_to_none(forged: str | None) -> None:
    assert decode(forged) is None


def test_encode_refuses_too_long() -> None:
    with pytest.raises(ValueError):
        encode("f", "a", "1" * 70)


def test_flood_gate_warns_once_then_drops() -> None:
    gate = FloodGate(max_updates=3, window_seconds=10)
    verdicts = [gate.check(1, now=t * 0.1) for t in range(6)]
    assert verdicts == ["ok", "ok", "ok", "warn", "drop", "drop"]
    assert gate.check(2, now=0.5) == "ok"  # other users unaffected
    assert gate.check(1, now=20.0) == "ok"  # window passed


def test_clip_keeps_whole_lines_under_the_limit() -> None:
    from handlers.common import CLIPPED, clip, name_list

    text = "\n".join(f"<b>决议 {n}</b> " + "长" * 200 for n in range(40))
    clipped = clip(text)
    assert len(clipped) <= 4000 and clipped.endswith(CLIPPED)
    assert all(line.count("<b>") == line.count("</b>") for line in clipped.split("\n"))
    assert clip("短") == "短"
    assert name_list([f"人{n}" for n in range(50)], most=40).endswith("等 50 人")
    assert name_list([]) == "—"
