"""What differs between switch platforms, one small module each, chosen from the site's `platform`.

A driver is data, not code paths: the Netmiko device type, the hier_config platform, how the
device says a line was refused, its config-mode prompt, the show commands for the running and
saved configs, how a save is asked, confirmed and acknowledged, and the lines a remediation
must never remove. connect, send, diff and push read everything platform-specific from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hier_config import Platform


@dataclass(frozen=True)
class Driver:
    name: str
    device_type: str  # Netmiko's
    hier_platform: Platform
    error_pattern: str  # any answer to a config line matching this is a refusal
    config_prompt: re.Pattern  # any config-mode prompt (the hostname may change mid-push)
    show_running: str
    show_startup: str
    save_command: str
    save_confirm: bool  # the device asks "continue? [Y/N]" before saving
    save_answer: str
    save_ok: re.Pattern  # the save's acknowledgement
    negation: str  # "no " / "undo "
    never_remove: re.Pattern  # remediation lines never sent: the device's own VLAN 1, ports and SVI 1
    not_config: re.Pattern  # show-output lines that say nothing about the config (headers, comments)
    header: re.Pattern  # stripped before parsing (hier_config does not know it)
    # the device's own revert (IOS: `configure terminal revert timer N` in minutes, `configure confirm`):
    # the config lines that must be in the running config before a timed change can open (the archive
    # the device snapshots its running config to), the command that opens the change, the one that
    # confirms it. Empty: the platform has no such mechanism in pdc and only the controller rolls back.
    revert_setup: tuple[str, ...] = ()
    revert_open: str = ""  # with {minutes}
    revert_confirm: str = ""
    revert_note: str = ""  # what the report says of a push's revert on this platform

    @property
    def reverts(self) -> bool:
        return bool(self.revert_open)

    def save(self, conn) -> str:
        """Save the running config; raise SaveNotConfirmed unless the device acknowledged it."""
        output = conn.save_config(cmd=self.save_command, confirm=self.save_confirm,
                                  confirm_response=self.save_answer)
        if not self.save_ok.search(output):
            raise SaveNotConfirmed(f"{self.save_command!r} was not acknowledged")
        return output


class SaveNotConfirmed(RuntimeError):
    pass


class UnknownPlatform(ValueError):
    pass


def driver(platform: str) -> Driver:
    from pdc.wan.platforms import cisco_ios, huawei_vrp

    drivers = {cisco_ios.DRIVER.name: cisco_ios.DRIVER, huawei_vrp.DRIVER.name: huawei_vrp.DRIVER}
    try:
        return drivers[platform]
    except KeyError:
        raise UnknownPlatform(f"no WAN driver for platform {platform!r} (known: {', '.join(sorted(drivers))})") \
            from None
