"""The emulated switch's configuration: a tree of IOS lines with IOS's replace/negate rules.

fake-switches keeps a typed model (ports, VLANs, routes) and loses everything else.
This store keeps every accepted line, so ``show running-config`` returns what was
configured, and applies the few IOS behaviours a diff engine depends on:
- a keyed line replaces the previous one with the same key (``hostname``, ``ip address``);
- ``no X`` removes X, or the lines X abbreviates (``no ntp server 10.0.0.1``);
- for features that are on by default, the negation is what is stored (``no cdp run``).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from pdc.lab.switchsim import grammar


@dataclass
class Section:
    text: str
    children: list[Section] = field(default_factory=list)

    def child(self, text: str) -> Section | None:
        return next((c for c in self.children if c.text == text), None)


class ConfigError(Exception):
    """A line the device refuses; the message is what IOS prints."""


class RollbackRefused(Exception):
    """A revert-timer command the device refuses; the message is what IOS prints."""


INVALID = "% Invalid input detected at '^' marker."
INCOMPLETE = "% Incomplete command."


class SwitchConfig:
    def __init__(self, hostname: str, physical_ports: list[str]):
        self.physical_ports = list(physical_ports)
        self.root = Section("")
        self.root.children.append(Section(f"hostname {hostname}"))
        self.root.children.append(Section("vlan 1"))
        for port in self.physical_ports:
            self.root.children.append(Section(f"interface {port}"))
        self.root.children.append(Section("interface Vlan1", [Section("shutdown")]))
        self.root.children.append(Section("line con 0"))
        self.root.children.append(Section("line vty 0 4", [Section("login local"), Section("transport input ssh")]))
        self.startup: Section | None = None
        self.save()  # the day-0 config is the saved one, as on a switch out of staging

    # ------------------------------------------------------------ reading

    @property
    def hostname(self) -> str:
        line = next(c.text for c in self.root.children if c.text.startswith("hostname "))
        return line.split(" ", 1)[1]

    def sections(self, prefix: str) -> list[Section]:
        return [c for c in self.root.children if c.text.startswith(prefix)]

    def render(self, root: Section | None = None) -> str:
        """The body of `show running-config` (without the Building/Current header)."""
        out = ["!", "version 15.2", "!"]
        for section in (root or self.root).children:
            out.append(section.text)
            for child in section.children:
                out.extend(_render_child(child, 1))
            if section.children:
                out.append("!")
        out += ["!", "end"]
        return "\n".join(out) + "\n"

    def save(self) -> None:
        self.startup = copy.deepcopy(self.root)

    def archive_path(self) -> str | None:
        """The `path` of the `archive` section (where IOS archives the running config), or None."""
        section = self.root.child("archive")
        line = next((c.text for c in section.children if c.text.startswith("path ")), None) if section else None
        return line.split(" ", 1)[1] if line else None

    def snapshot(self) -> Section:
        return copy.deepcopy(self.root)

    def replace(self, snapshot: Section) -> None:
        """The running config becomes `snapshot` (IOS's rollback: a configure replace with the archive).
        In place: sessions in config mode hold the root."""
        self.root.children = copy.deepcopy(snapshot).children

    # ------------------------------------------------------------ writing

    def enter(self, mode: str, line: str) -> Section:
        """Open (creating if needed) the section a mode command names."""
        if mode == "interface":
            name = grammar.normalize_interface(line.split(" ", 1)[1])
            if name is None:
                raise ConfigError(INVALID)
            line = f"interface {name}"
            if _is_physical(name) and name not in self.physical_ports:
                raise ConfigError(INVALID)
        elif mode == "acl":
            # a standard and an extended ACL of the same name are the same ACL on IOS
            name = line.split()[-1]
            existing = next((c for c in self.root.children if c.text.startswith("ip access-list ")
                             and c.text.split()[-1] == name), None)
            if existing is not None and existing.text != line:
                raise ConfigError(f"% A named {existing.text.split()[2]} IP access list with this name exists")
        section = self.root.child(line)
        if section is None:
            section = Section(line)
            self.root.children.append(section)
        return section

    def set(self, parent: Section, mode: str, line: str, rule: grammar.Rule) -> None:
        if mode == "acl":
            line = re.sub(r"^\d+ ", "", line)  # sequence numbers are not shown in the running config
        negated = f"no {line}"
        existing_negation = parent.child(negated)
        if existing_negation is not None:
            parent.children.remove(existing_negation)
            if grammar.DEFAULT_ON[mode].match(line):
                return  # back to the default: nothing to show
        if grammar.DEFAULT_ON[mode].match(line):
            return
        if rule.key_words is not None:
            key = _key(line, rule.key_words)
            for child in list(parent.children):
                if child.text != line and _key(child.text, rule.key_words) == key and \
                        grammar.match(mode, child.text) is rule:
                    parent.children.remove(child)
        if parent.child(line) is None:
            parent.children.append(Section(line))

    def negate(self, parent: Section, mode: str, line: str) -> None:
        """Apply `no <line>` in a mode (line without the `no`)."""
        if mode == "global":
            sub = _section_command(line)
            if sub is not None:
                self._remove_section(sub, line)
                return
            if line.startswith("banner "):
                for section in self.sections(" ".join(line.split()[:2]) + " "):
                    self.root.children.remove(section)
                return
        if grammar.DEFAULT_ON[mode].match(line):
            if parent.child(f"no {line}") is None:
                parent.children.append(Section(f"no {line}"))
            return
        if mode == "acl":
            line = re.sub(r"^\d+ ", "", line)
        removed = [c for c in parent.children if c.text == line or c.text.startswith(line + " ")]
        if not removed and grammar.match(mode, line) is None and not grammar.is_incomplete(mode, line):
            raise ConfigError(INVALID)
        for child in removed:
            parent.children.remove(child)

    def _remove_section(self, mode: str, line: str) -> None:
        if mode == "interface":
            name = grammar.normalize_interface(line.split(" ", 1)[1])
            if name is None:
                raise ConfigError(INVALID)
            if _is_physical(name) or name == "Vlan1":
                raise ConfigError(f"{INVALID} (physical interfaces and Vlan1 cannot be removed)")
            line = f"interface {name}"
        if mode == "vlan" and line == "vlan 1":
            raise ConfigError(f"{INVALID} (default VLAN 1 may not be deleted)")
        section = self.root.child(line)
        if section is not None:
            self.root.children.remove(section)

    def set_banner(self, kind: str, delimiter: str, body: list[str]) -> None:
        for section in self.sections(f"banner {kind} "):
            self.root.children.remove(section)
        text = "\n".join([f"banner {kind} ^C", *body, "^C"])
        self.root.children.append(Section(text))


def _render_child(section: Section, depth: int) -> list[str]:
    out = [" " * depth + section.text]
    for child in section.children:
        out.extend(_render_child(child, depth + 1))
    return out


def _key(line: str, words: int) -> tuple[str, ...]:
    return tuple(line.split()[:words])


def _is_physical(name: str) -> bool:
    return name.startswith(("FastEthernet", "GigabitEthernet", "TenGigabitEthernet"))


def _section_command(line: str) -> str | None:
    rule = grammar.match("global", line)
    return rule.enters if rule else None
