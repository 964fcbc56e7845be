"""Block sending: each line's answer is told apart by the prompts, so an error names its line."""

from __future__ import annotations

import re

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


class _Timed(Channel):
    base_prompt = "dc"

    def __init__(self, enters: bool = True):
        super().__init__()
        self.opened, self.enters = [], enters

    def config_mode(self, config_command: str = "", pattern: str = "") -> str:
        self.opened.append((config_command, pattern))
        if not self.enters:
            raise ValueError("Failed to enter configuration mode.")
        return ""


def test_a_change_may_open_with_another_command_and_a_refusal_names_it():
    timed = _Timed()
    send.send_lines(timed, ["hostname x"], 1, config_command="configure terminal revert timer 5")
    command, pattern = timed.opened[0]
    assert command == "configure terminal revert timer 5"
    # the archive file IOS names holds the hostname: only a prompt ends the opening
    assert not re.search(pattern, "Backing up current running config to flash:pdc-archive-Dec--7-0")
    assert re.search(pattern, "dc(config)#") and re.search(pattern, "dc#")
    with pytest.raises(ConfigInvalidException, match="configure terminal revert timer 5"):
        send.send_lines(_Timed(enters=False), ["hostname x"], 1, config_command="configure terminal revert timer 5")
