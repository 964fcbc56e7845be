"""Building blocks of the compliance suite (tests/compliance): targets, items and expectations.

A check is a test function marked with its catalog control and, optionally, the items it
is parametrized over for each target host::

    @pytest.mark.control("PDC-SYS-006")
    @items(lambda t: [Item(k, v) for k, v in REDIRECTS.items()])
    def test_redirects(target, item, facts, evidence): ...

Items are computed per host from the environment model, so every item passes or fails on
its own and expected values (NTP servers, SOC address, management networks, zone subnets)
come from the environment, never from the test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from pdc.flows import flows

ITEMS_ATTR = "_pdc_items"


@dataclass(frozen=True)
class Item:
    id: str
    value: Any = None
    na: str | None = None  # not applicable to this host, and why

    def __str__(self) -> str:
        return self.id


@dataclass
class Target:
    """One audited host: its connection (testinfra) and its place in the environment model."""

    name: str
    host: Any  # testinfra.host.Host
    model: Any = None  # pdc.environment.Host, None when the host is not in the environment
    env: Any = None  # pdc.environment.Environment
    ssh_config: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def roles(self) -> list[str]:
        return list(self.model.group.roles) if self.model else []

    def has_role(self, role: str) -> bool:
        return role in self.roles


def items(fn: Callable[[Target], list[Item]]):
    """Declare a check's items for a target host (see the module docstring)."""
    def mark(test):
        setattr(test, ITEMS_ATTR, fn)
        return test
    return mark


# ---------------------------------------------------------------- expectations from the model
# Read from the environment's flows (pdc.flows), which the roles also render from, never from a
# role's variables: a role that renders the wrong thing fails its check.


def ntp_servers(t: Target) -> list[IPv4Address]:
    """The NTP servers a host syncs to (an NTP server does not list itself)."""
    return [a for a in flows(t.env).server_addresses("ntp", without_devices=True) if a != t.model.address]


def soc_collector(t: Target) -> tuple[list[IPv4Address], int]:
    """Where hosts forward their logs: the syslog servers and the service's port."""
    return (flows(t.env).server_addresses("syslog", without_devices=True),
            t.env.settings.services.syslog.ports[0])


def covered(net: IPv4Network, allowed: list[IPv4Network]) -> bool:
    return any(net.subnet_of(a) for a in allowed)


# ---------------------------------------------------------------- reading config text


def active_lines(text: str) -> list[str]:
    """Lines without comments and blank lines."""
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


def settings(text: str, sep: str | None = None) -> dict[str, str]:
    """key/value settings of a config file (last one wins, as most daemons read them)."""
    out = {}
    for line in active_lines(text):
        if sep is None:
            key, _, value = line.partition(" ")
            if "\t" in key:
                key, _, rest = key.partition("\t")
                value = f"{rest} {value}".strip()
        else:
            key, found, value = line.partition(sep)
            if not found:
                continue
        out[key.strip()] = value.strip().strip('"')
    return out


def octal_at_most(mode: str, limit: str) -> bool:
    """True when a mode sets no permission bit outside limit (e.g. 600 within 640)."""
    return int(mode, 8) & ~int(limit, 8) & 0o7777 == 0


def check_unit_state(facts, evidence, service: str, want_enabled: bool) -> None:
    """A service is enabled (at boot) or active (now), as the item asks; the unit's state is the evidence."""
    unit = facts.unit(f"{service}.service")
    evidence(f"{service}.service {unit.get('UnitFileState')} {unit.get('ActiveState')}")
    key, want = ("UnitFileState", "enabled") if want_enabled else ("ActiveState", "active")
    assert unit.get(key) == want, f"{service} is not {want}"
