"""Block sending: each line's answer is told apart by the prompts, so an error names its line."""

from __future__ import annotations

import pytest
from netmiko.exceptions import ConfigInvalidException, ReadTimeout

from pdc.wan import send


class Channel:
    """Answers like IOS: echo, an error for refused lines, then the next config prompt."""

    def __init__(self, refuse: str | None = None, answer_only: int | None = None):
        self.refuse, self.answer_only = refuse, answer_only
        self.sent: list[str] = []
        self.pending = ""
        self.remote_conn = type("Remote", (), {"closed": False})()

    def config_mode(self) -> str:
        return ""

    def exit_config_mode(self) -> str:
        return ""

    def normalize_cmd(self, line: str) -> str:
        return line.rstrip() + "\n"

    def write_channel(self, data: str) -> None:
        for line in data.splitlines():
            if self.answer_only is not None and len(self.sent) >= self.answer_only:
                self.remote_conn.closed = True  # the device drops the session
                return
            self.sent.append(line)
            self.pending += line + "\n"
            if line.strip() == self.refuse:
                self.pending += "% Invalid input detected at '^' marker.\n"
            mode = "config-if" if line.startswith("interface") else "config"
            self.pending += f"sw-01({mode})#"

    def read_channel(self) -> str:
        data, self.pending = self.pending, ""
        return data


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
