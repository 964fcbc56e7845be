"""Block sending: each line's answer is told apart by the prompts, so an error names its line."""

from __future__ import annotations

import pytest
from netmiko.exceptions import ConfigInvalidException, ReadTimeout

from pdc.wan import send
from tests.unit.wan.fake_channel import Channel

LINES = [f"vlan {n}" for n in range(10, 80)]


def test_every_line_is_sent_in_blocks_and_answered():
    channel = Channel()
    output = send.send_lines(channel, LINES, read_timeout=1, block=32)
    assert channel.sent == LINES
    assert output.count("sw-01(config)#") == len(LINES)


def test_a_refused_line_is_named_and_later_blocks_are_not_sent():
    channel = Channel(refuse="vlan 20")
    with pytest.raises(ConfigInvalidException, match="at command: vlan 20, matched error: % Invalid"):
        send.send_lines(channel, LINES, read_timeout=1, block=32)
    assert channel.sent == LINES[:32]  # the rest of its block went out; nothing after it


def test_a_dropped_session_is_a_read_timeout_not_a_hang():
    channel = Channel(answer_only=40)
    with pytest.raises(ReadTimeout, match="prompts before silence"):
        send.send_lines(channel, LINES, read_timeout=0.2, block=32)
