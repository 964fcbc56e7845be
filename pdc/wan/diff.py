"""What must change on a device: hier_config 3 remediation (and restore) between two configs.

The remediation is filtered: a device always has VLAN 1, its physical ports and its VLAN 1
interface, so a line that would remove them (the platform driver's `never_remove`) is never
proposed, whatever the intended config says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hier_config import WorkflowRemediation, get_hconfig

from pdc.wan.platforms import driver


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
    chosen = driver(platform)
    return get_hconfig(chosen.hier_platform, chosen.header.sub("", text))


def change(running, intended, platform: str = "cisco_ios") -> Change:
    """The lines that turn `running` into `intended` (use it the other way round to restore).

    Either side may be text or an already parsed HConfig (the push parses the intended config once).
    """
    running = parse(running, platform) if isinstance(running, str) else running
    intended = parse(intended, platform) if isinstance(intended, str) else intended
    workflow = WorkflowRemediation(running, intended)
    return _lines(workflow.remediation_config, driver(platform))


def future(running, change: Change, platform: str = "cisco_ios"):
    """The config `running` becomes once `change` (the lines really sent, filtered) is applied."""
    running = parse(running, platform) if isinstance(running, str) else running
    sent = parse("\n".join(line for line in change.lines if line != "exit"), platform)
    return running.future(sent)


def saved_equals_running(running: str, startup: str, platform: str = "cisco_ios") -> bool:
    """Startup and running hold the same config (headers, comments and blank lines ignored).

    Line by line, order included: what a save writes is the running config verbatim."""
    not_config = driver(platform).not_config
    return _config_lines(running, not_config) == _config_lines(startup, not_config)


def _config_lines(text: str, not_config: re.Pattern) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if not not_config.match(line)]


def unsaved_outside(running, startup: str, intended, platform: str = "cisco_ios") -> list[str]:
    """The unsaved lines (startup -> running) that pdc's own change from startup would not make."""
    unsaved = _with_sections(change(startup, running, platform))
    planned = set(_with_sections(change(startup, intended, platform)))
    return [line for line in unsaved if line not in planned]


def _with_sections(change: Change) -> list[str]:
    return sectioned(change.lines) + change.banner


def sectioned(lines: list[str]) -> list[str]:
    """Change lines as people read them: a line inside a section as `section / line`."""
    out, parent = [], ""
    for line in lines:
        if line == "exit":
            continue
        if line.startswith(" "):
            out.append(f"{parent} / {line.strip()}")
        else:
            parent = line
            out.append(line)
    return out


def _lines(remediation, chosen) -> Change:
    lines: list[str] = []
    banner: list[str] = []
    for child in sorted(remediation.children):
        if child.text.startswith("banner "):
            banner.extend(child.text.splitlines())
            continue
        if child.text.startswith("no banner "):
            lines.append(" ".join(child.text.split()[:3]))  # `no banner motd`: the text is not needed
            continue
        if chosen.never_remove.match(child.text):
            continue
        if child.text.startswith(chosen.negation) and child.children:
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
