"""What the audit expects of a host's network exposure, from the environment's flows (pdc.flows).

The firewall, chrony, unbound, pg_hba and the collector render from the same flows through the
inventory; the audit reads the flows here, never the roles' variables, so a role that renders
the wrong thing fails its check instead of agreeing with itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network

from pdc.environment import Environment, Host
from pdc.flows import ANYWHERE, flows


@dataclass(frozen=True)
class Expected:
    """One port a host must accept: from these networks only, or from anywhere (sources None)."""

    service: str
    protocol: str
    port: int
    sources: tuple[IPv4Network, ...] | None


def inbound(env: Environment, host: Host) -> list[Expected]:
    """Every (service, protocol, port) the host serves, with who may reach it."""
    out = []
    for flow in flows(env).inbound(host):
        networks = flow.networks
        sources = None if ANYWHERE in networks else tuple(networks)
        out += [Expected(flow.service, proto, port, sources) for proto in flow.protocols for port in flow.ports]
    return out


def clients(env: Environment, host: Host, service: str) -> list[IPv4Network]:
    """The networks that may reach this host's service (chrony's allow, unbound's ACL, pg_hba)."""
    return list(dict.fromkeys(n for f in flows(env).inbound(host) if f.service == service for n in f.networks))


def ports(env: Environment, service: str) -> list[int]:
    return list(getattr(env.settings.services, service).ports)
