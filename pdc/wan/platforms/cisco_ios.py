"""Cisco IOS / IOS-XE access and distribution switches."""

from __future__ import annotations

import re

from hier_config import Platform

from pdc.wan.platforms import Driver

DRIVER = Driver(
    name="cisco_ios",
    device_type="cisco_ios",
    hier_platform=Platform.CISCO_IOS,
    error_pattern=r"% Invalid|% Incomplete|% Ambiguous|No such command",
    config_prompt=re.compile(r"^[\w.-]+\(config[^)]*\)#", re.M),
    show_running="show running-config",
    show_startup="show startup-config",
    save_command="write memory",
    save_confirm=False,
    save_answer="",
    save_ok=re.compile(r"\[OK\]"),
    negation="no ",
    never_remove=re.compile(
        r"^no (?:vlan 1|interface (?:Vlan1|(?:FastEthernet|GigabitEthernet|TenGigabitEthernet)\S+))$"),
    not_config=re.compile(r"^(?:Building configuration\.\.\.|Current configuration : \d+ bytes|"
                          r"Using \d+ out of \d+ bytes|!.*|ntp clock-period \d+|\s*)$"),
    # hier_config skips the running config's header itself, not the startup config's NVRAM line
    header=re.compile(r"^Using \d+ out of \d+ bytes.*$", re.M),
    # Configuration Rollback Confirmed Change: the archive in the device's flash (the snapshot taken when
    # the timed change opens lands there), the timer in minutes (1-120), the confirmation from any session
    revert_setup=("archive", " path flash:pdc-archive", " maximum 5"),
    revert_open="configure terminal revert timer {minutes}",
    revert_confirm="configure confirm",
    revert_note="device-side revert: configure terminal revert timer, confirmed after a new login",
)
