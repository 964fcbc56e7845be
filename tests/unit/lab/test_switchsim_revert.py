"""The emulated IOS device's Configuration Rollback Confirmed Change: archive, `configure terminal revert
timer N`, `configure confirm`, `configure revert`, the revert itself on a scaled clock; and a shut
management interface refusing new logins. Driven through the device's own shell, no network."""

from __future__ import annotations

import pytest
from twisted.internet.task import Clock

from pdc.lab.switchsim.device import Device, Faults
from pdc.lab.switchsim.ssh import LineShell
from tests.unit.wan.test_switchsim_store import apply

ADDRESS = "10.250.0.1"


class _Transport:
    def __init__(self):
        self.data = b""
        self.lost = False

    def write(self, data: bytes) -> None:
        self.data += data

    def loseConnection(self) -> None:  # noqa: N802 - Twisted's name
        self.lost = True


class Terminal:
    """One logged-in session on the device, enabled."""

    def __init__(self, device: Device, peer: str = "10.99.0.2"):
        self.shell = LineShell(device, "pdc", peer)
        self.shell.transport = _Transport()
        self.shell.connectionMade()
        self.say("enable")
        self.say("secret")

    def say(self, line: str) -> str:
        self.shell.transport.data = b""
        self.shell.dataReceived(line.encode() + b"\n")
        return self.shell.transport.data.decode()


@pytest.fixture
def device() -> Device:
    switch = Device("dc", "dc", ["GigabitEthernet0/1"], "secret", ADDRESS)
    switch.clock = Clock()
    switch.faults.minute = 1.0  # the lab's scale: one second per IOS minute
    return switch


def _with_archive(device: Device) -> Terminal:
    term = Terminal(device)
    for line in ("configure terminal", "archive", "path flash:pdc-archive", "maximum 5", "end"):
        term.say(line)
    assert device.config.archive_path() == "flash:pdc-archive"
    return term


def test_the_timer_needs_an_archive_path(device):
    term = Terminal(device)
    out = term.say("configure terminal revert timer 5")
    assert "archive path is not configured" in out and out.rstrip().endswith("dc#")
    assert device.rollback is None


@pytest.mark.parametrize("minutes", ["0", "121", "x"])
def test_the_timer_takes_1_to_120_minutes(device, minutes):
    term = _with_archive(device)
    assert "% Invalid input" in term.say(f"configure terminal revert timer {minutes}")
    assert device.rollback is None


def test_an_unconfirmed_change_reverts_when_the_timer_expires(device):
    term = _with_archive(device)
    before = device.config.render()
    out = term.say("configure terminal revert timer 5")
    assert "Rollback Confirmed Change: Backing up current running config to flash:pdc-archive-" in out
    assert out.rstrip().endswith("dc(config)#")
    term.say("hostname changed")
    term.say("ntp server 10.20.0.11")
    term.say("end")
    device.clock.advance(4.9)
    assert device.config.hostname == "changed", "not before the timer"
    device.clock.advance(0.2)
    assert device.config.render() == before and device.rollback is None
    assert "hostname dc" in term.say("show running-config")


def test_configure_confirm_from_another_session_stops_the_timer(device):
    term = _with_archive(device)
    term.say("configure terminal revert timer 2")
    term.say("hostname changed")
    term.say("end")
    other = Terminal(device, peer="10.99.0.3")
    assert "% Invalid" not in other.say("configure confirm")
    device.clock.advance(600)
    assert device.config.hostname == "changed" and device.rollback is None
    assert "% Invalid" not in other.say("configure confirm"), "nothing pending: IOS says nothing"


def test_configure_revert_now_and_timer(device):
    term = _with_archive(device)
    term.say("configure terminal revert timer 1")
    term.say("hostname changed")
    term.say("end")
    assert "already in progress" in term.say("configure terminal revert timer 1")
    term.say("configure revert timer 10")
    device.clock.advance(5)
    assert device.config.hostname == "changed", "the timer was restarted with 10 minutes"
    term.say("configure revert now")
    assert device.config.hostname == "dc" and device.rollback is None
    assert "No Rollback Confirmed Change pending" in term.say("configure revert now")


def test_the_minute_is_an_emulator_option_of_the_fault_file():
    assert Faults.from_json({}).minute == 60.0
    assert Faults.from_json({"revert_minute_seconds": 0.5}).minute == 0.5


def test_archive_lines_are_kept_and_replaced_by_key(device):
    apply(device.config, ["archive", " path flash:a", " maximum 3", " path flash:pdc-archive"])
    rendered = device.config.render()
    section = rendered.split("archive\n", 1)[1].split("!", 1)[0].splitlines()
    assert sorted(section) == [" maximum 3", " path flash:pdc-archive"] and "flash:a" not in rendered


def test_a_shut_management_interface_refuses_new_logins(device):
    apply(device.config, ["interface Loopback0", f" ip address {ADDRESS} 255.255.255.255"])
    assert device.plane.vty_permits("10.99.0.2")[0]
    apply(device.config, ["interface Loopback0", " shutdown"])
    assert device.plane.vty_permits("10.99.0.2") == (False, f"Loopback0 holding {ADDRESS} is shut down")
