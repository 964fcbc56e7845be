"""What must change on a device: hier_config 3 remediation (and restore) between two configs.

The remediation is filtered: a device always has VLAN 1, its physical ports and Vlan1,
so a line that would remove them is never proposed, whatever the intended config says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hier_config import Platform, WorkflowRemediation, get_hconfig

PLATFORMS = {"cisco_ios": Platform.CISCO_IOS, "huawei_vrp": Platform.HUAWEI_VRP}
NEVER_REMOVE = re.compile(
    r"^no (?:vlan 1|interface (?:Vlan1|(?:FastEthernet|GigabitEthernet|TenGigabitEthernet)\S+))$")


NVRAM_HEADER = re.compile(r"^Using \d+ out of \d+ bytes.*$", re.M)


@dataclass(frozen=True)
class Change:
    lines: list[str]  # the config to send, sections closed with `exit`
    banner: list[str]  # banner lines, pushed apart (they switch off Netmiko's echo check)

    @property
    def empty(self) -> bool:
        return not self.lines and not self.banner

    @property
    def size(self) -> int:
        return sum(1 for line in self.lines if line != "exit") + (1 if self.banner else 0)

    def text(self) -> str:
        return "\n".join([line for line in self.lines if line != "exit"] + self.banner) + ("\n" if not self.empty
                                                                                           else "")


def parse(text: str, platform: str = "cisco_ios"):
    # hier_config skips IOS's running-config header itself, not the startup config's NVRAM line
    return get_hconfig(PLATFORMS[platform], NVRAM_HEADER.sub("", text))


def change(running, intended, platform: str = "cisco_ios") -> Change:
    """The lines that turn `running` into `intended` (use it the other way round to restore).

    Either side may be text or an already parsed HConfig (the push parses the intended config once).
    """
    running = parse(running, platform) if isinstance(running, str) else running
    intended = parse(intended, platform) if isinstance(intended, str) else intended
    workflow = WorkflowRemediation(running, intended)
    return _lines(workflow.remediation_config)


def future(running, change: Change, platform: str = "cisco_ios"):
    """The config `running` becomes once `change` (the lines really sent, filtered) is applied."""
    running = parse(running, platform) if isinstance(running, str) else running
    sent = parse("\n".join(line for line in change.lines if line != "exit"), platform)
    return running.future(sent)


# `show running-config` / `show startup-config` lines that say nothing about the config itself
NOT_CONFIG = re.compile(r"^(?:Building configuration\.\.\.|Current configuration : \d+ bytes|"
                        r"Using \d+ out of \d+ bytes|!.*|ntp clock-period \d+|\s*)$")


def saved_equals_running(running: str, startup: str) -> bool:
    """Startup and running hold the same config (headers, comments and blank lines ignored).

    Line by line, order included: what `write memory` saves is the running config verbatim."""
    return _config_lines(running) == _config_lines(startup)


def _config_lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if not NOT_CONFIG.match(line)]


def unsaved_outside(running, startup: str, intended, platform: str = "cisco_ios") -> list[str]:
    """The unsaved lines (startup -> running) that pdc's own change from startup would not make."""
    unsaved = _with_sections(change(startup, running, platform))
    planned = set(_with_sections(change(startup, intended, platform)))
    return [line for line in unsaved if line not in planned]


def _with_sections(change: Change) -> list[str]:
    out, parent = [], ""
    for line in change.lines:
        if line == "exit":
            continue
        if line.startswith(" "):
            out.append(f"{parent} / {line.strip()}")
        else:
            parent = line
            out.append(line)
    return out + change.banner


def _lines(remediation) -> Change:
    lines: list[str] = []
    banner: list[str] = []
    for child in sorted(remediation.children):
        if child.text.startswith("banner "):
            banner.extend(child.text.splitlines())
            continue
        if child.text.startswith("no banner "):
            lines.append(" ".join(child.text.split()[:3]))  # `no banner motd`: the text is not needed
            continue
        if NEVER_REMOVE.match(child.text):
            continue
        if child.text.startswith("no ") and child.children:
            continue  # defensive: hier_config never negates with children
        lines.append(child.text)
        if child.children:
            lines.extend(_children(child, 1))
            lines.append("exit")
    return Change(lines, banner)


def _children(section, depth: int) -> list[str]:
    out = []
    for child in sorted(section.children):
        out.append(" " * depth + child.text)
        out.extend(_children(child, depth + 1))
    return out
