"""Does an IOS IPv4 access list permit a connection? Standard and extended, numbered and named.

Only what a VTY `access-class ... in` needs: a TCP connection from the controller to the
device's SSH port. Entries are tried in order; the first match decides; the end is an
implicit deny. Where an entry's outcome cannot be known from the config (a source-port
condition: the controller's port is ephemeral; `established`: a new session is a SYN), the
evaluation assumes the worse case for the controller: a permit does not match, a deny does.
`established` matches only packets of an open session, never the SYN of a new one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Address

STANDARD_NUMBERS = (range(1, 100), range(1300, 2000))
EXTENDED_NUMBERS = (range(100, 200), range(2000, 2700))
SSH_PORT = 22
PORTS = {"ssh": 22, "telnet": 23, "www": 80, "https": 443}


class AclError(ValueError):
    """An ACL entry this evaluator cannot read (the caller refuses rather than guess)."""


@dataclass(frozen=True)
class Verdict:
    permitted: bool
    entry: str  # the deciding entry, or "implicit deny at the end"


@dataclass(frozen=True)
class Acl:
    name: str
    extended: bool
    entries: tuple[str, ...]  # permit/deny lines, sequence numbers and remarks removed

    def evaluate(self, source: IPv4Address, destination: IPv4Address | None, port: int = SSH_PORT) -> Verdict:
        for entry in self.entries:
            words = entry.split()
            action = words[0]
            if action not in ("permit", "deny"):
                raise AclError(f"{self.name}: cannot read {entry!r}")
            matched = _matches_extended(words[1:], source, destination, port, action == "permit") if self.extended \
                else _matches_address(words[1:], source)[0]
            if matched:
                return Verdict(action == "permit", entry)
        return Verdict(False, "implicit deny at the end")


def find(lines: list[tuple[str, list[str]]], name: str) -> Acl | None:
    """The ACL `name` in a config given as (top-level line, [child lines]); None when it does not exist."""
    entries: list[str] = []
    extended = None
    for text, children in lines:
        words = text.split()
        if words[:2] == ["ip", "access-list"] and len(words) >= 4 and words[3] == name \
                and words[2] in ("standard", "extended"):
            extended = words[2] == "extended"
            entries.extend(_entry(child) for child in children)
        elif words[:1] == ["access-list"] and len(words) >= 3 and words[1] == name:
            number = int(name) if name.isdigit() else -1
            extended = any(number in r for r in EXTENDED_NUMBERS)
            entries.append(" ".join(words[2:]))
    if extended is None:
        return None
    return Acl(name, extended, tuple(e for e in entries if e and not e.startswith("remark")))


def _entry(child: str) -> str:
    return re.sub(r"^\d+\s+", "", child.strip())  # the sequence number


def _matches_address(words: list[str], address: IPv4Address | None) -> tuple[bool | None, list[str]]:
    """Match one address spec at the start of `words`; returns (matched, the words after it).

    matched is None when the address is unknown (the destination, when pdc does not know it)."""
    if not words:
        raise AclError("an address is missing")
    if words[0] == "any":
        return True, words[1:]
    if words[0] == "host":
        if len(words) < 2:
            raise AclError("`host` without an address")
        return (None if address is None else address == IPv4Address(words[1])), words[2:]
    try:
        base = IPv4Address(words[0])
    except ValueError as exc:
        raise AclError(f"cannot read the address {words[0]!r}") from exc
    wildcard = IPv4Address("0.0.0.0")
    rest = words[1:]
    if rest and re.fullmatch(r"\d+\.\d+\.\d+\.\d+", rest[0]):
        wildcard, rest = IPv4Address(rest[0]), rest[1:]
    if address is None:
        return None, rest
    care = ~int(wildcard) & 0xFFFFFFFF  # a wildcard's 1 bits are "don't care", contiguous or not
    return (int(address) & care) == (int(base) & care), rest


def _port_matches(words: list[str], port: int | None) -> tuple[bool | None, list[str]]:
    """An optional port condition (eq/neq/lt/gt/range) at the start of `words`."""
    if not words or words[0] not in ("eq", "neq", "lt", "gt", "range"):
        return True, words
    op = words[0]
    count = 2 if op == "range" else 1
    values = words[1:1 + count]
    if len(values) < count:
        raise AclError(f"`{op}` without a port")
    try:
        numbers = [int(v) if v.isdigit() else PORTS[v] for v in values]
    except KeyError as exc:
        raise AclError(f"unknown port name {exc.args[0]!r}") from exc
    rest = words[1 + count:]
    if op == "eq" and len(rest) and rest[0].isdigit():  # `eq 22 830`: a list of ports
        while rest and rest[0].isdigit():
            numbers.append(int(rest[0]))
            rest = rest[1:]
    if port is None:
        return None, rest
    matched = {"eq": port in numbers, "neq": port not in numbers, "lt": port < numbers[0],
               "gt": port > numbers[0], "range": numbers[0] <= port <= numbers[-1]}[op]
    return matched, rest


def _matches_extended(words: list[str], source: IPv4Address, destination: IPv4Address | None, port: int,
                      permit: bool) -> bool:
    if not words:
        raise AclError("an extended entry without a protocol")
    protocol, words = words[0], words[1:]
    if protocol not in ("ip", "tcp"):
        return False  # udp, icmp...: never an SSH session
    src, words = _matches_address(words, source)
    unknowns = []
    if protocol == "tcp" and words and words[0] in ("eq", "neq", "lt", "gt", "range"):
        _, words = _port_matches(words, None)  # the controller's source port is ephemeral
        unknowns.append("source port")
    dst, words = _matches_address(words, destination)
    dport = True
    if protocol == "tcp":
        dport, words = _port_matches(words, port)
    if "established" in words:
        return False
    if not src or dport is False or dst is False:
        return False
    if dst is None or unknowns or dport is None:
        return not permit  # unknowable: the worse case for the controller
    return True
