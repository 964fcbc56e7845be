"""Who may reach whom on what: the one view every engine renders from.

The environment declares each service once (``services:`` in environment.yml): its protocols
and ports, who serves it and who may reach it. This module resolves those declarations into
flows: concrete source networks and the hosts, switches or addresses that serve them. The
security groups (stacks/), each host's nftables, chrony, rsyslog, unbound and pg_hba (through
the inventory's host variables, pdc.hostvars), the WAN templates (pdc.wan.render) and the
audit's expectations (tests/compliance) all read these flows, so none keeps its own copy of a
port, a server or a client network.

A flow is one service served by the hosts of one system zone (``own:`` sources are relative to
that zone), or by the WAN devices, or by literal addresses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network

from pdc.environment import Environment, Host
from pdc.schema import Service, Site, System

ANYWHERE = IPv4Network("0.0.0.0/0")
# The tier in front of a zone: who a zone's service is for when a flow says `own:front`.
FRONT = {"app": ("dmz",), "db": ("app", "dmz")}


@dataclass(frozen=True)
class Source:
    """A network allowed to reach a service, and what the environment called it."""

    network: IPv4Network
    label: str  # the reachable_from entry it comes from (tenants, own:front, 10.99.0.0/30, ...)
    zone: str | None = None  # set for a zone of the server's own system (security groups reference it)


@dataclass(frozen=True)
class Server:
    """One place a service runs: a host, a WAN device or an address outside the model."""

    name: str
    address: IPv4Address
    host: Host | None = field(default=None, compare=False)  # models hold lists: not hashable
    site: Site | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Flow:
    service: str
    protocols: tuple[str, ...]
    ports: tuple[int, ...]
    servers: tuple[Server, ...]
    sources: tuple[Source, ...]
    system: System | None = None  # the servers' system and zone when they are hosts
    zone: str | None = None

    @property
    def networks(self) -> list[IPv4Network]:
        return list(dict.fromkeys(s.network for s in self.sources))


class Flows:
    """Every flow of one environment, with the queries the engines ask."""

    def __init__(self, env: Environment):
        self.env = env
        self.all: list[Flow] = [f for name in type(env.settings.services).model_fields
                                for f in _service_flows(env, name, getattr(env.settings.services, name))]
        self._by_host: dict[str, list[Flow]] = {}
        self._by_site: dict[str, list[Flow]] = {}
        for flow in self.all:
            for server in flow.servers:
                if server.host is not None:
                    self._by_host.setdefault(server.host.name, []).append(flow)
                if server.site is not None:
                    self._by_site.setdefault(server.site.id, []).append(flow)

    def service(self, name: str) -> Service:
        return getattr(self.env.settings.services, name)

    def of(self, service: str) -> list[Flow]:
        return [f for f in self.all if f.service == service]

    def servers(self, service: str) -> list[Server]:
        return list(dict.fromkeys(s for f in self.of(service) for s in f.servers))

    def server_addresses(self, service: str, without_devices: bool = False) -> list[IPv4Address]:
        """Where clients send: every server's address (without_devices leaves the WAN devices out)."""
        return list(dict.fromkeys(s.address for s in self.servers(service) if not without_devices or s.site is None))

    def clients(self, service: str) -> list[IPv4Network]:
        """Every network that may reach a service, over all its servers."""
        return list(dict.fromkeys(n for f in self.of(service) for n in f.networks))

    def may_reach(self, address: IPv4Address, service: str) -> bool:
        return any(address in n for n in self.clients(service))

    def inbound(self, host: Host) -> list[Flow]:
        """What a host serves, and to whom."""
        return self._by_host.get(host.name, [])

    def device_inbound(self, site: Site) -> list[Flow]:
        """What a WAN device serves (SSH, SNMP), and to whom."""
        return self._by_site.get(site.id, [])

    def zone_inbound(self, system: System, zone: str) -> list[Flow]:
        """What the hosts of one system zone serve: one tenant security group's ingress."""
        return [f for f in self.all if f.system is system and f.zone == zone]

    def zone_outbound(self, system: System, zone: str) -> list[Flow]:
        """Flows of the same system that this zone may reach as a client (security group egress)."""
        return [f for f in self.all if f.system is system and any(s.zone == zone for s in f.sources)]


def flows(env: Environment) -> Flows:
    """The flows of an environment, derived once per loaded environment (kept on it, so they live
    and die with it; a loaded environment is never edited)."""
    found = vars(env).get("_flows")
    if found is None:
        found = vars(env)["_flows"] = Flows(env)
    return found


# ------------------------------------------------------------------ derivation


def _service_flows(env: Environment, name: str, service: Service) -> list[Flow]:
    protocols, ports = tuple(dict.fromkeys(service.protocols)), tuple(dict.fromkeys(service.ports))
    out = []
    by_zone: dict[tuple[str, str], list[Host]] = {}
    for host in _served_hosts(env, service):
        by_zone.setdefault((host.system.id, host.zone), []).append(host)
    for (_, zone), hosts in by_zone.items():
        system = hosts[0].system
        sources = _sources(env, service.reachable_from, system, zone)
        servers = tuple(Server(h.name, h.address, host=h) for h in hosts)
        out.append(Flow(name, protocols, ports, servers, sources, system, zone))
    others = []
    if service.served_by.wan_devices:
        others += [Server(s.id, env.mgmt_ip(s), site=s) for s in env.sites]
    others += [Server(str(a), a) for a in service.served_by.addresses]
    if others:
        out.append(Flow(name, protocols, ports, tuple(others), _sources(env, service.reachable_from)))
    return out


def _served_hosts(env: Environment, service: Service) -> list[Host]:
    by = service.served_by
    if by.all_hosts:
        return list(env.hosts)
    groups = set(by.groups)
    roles, zones = set(by.roles), set(by.zones)
    return [h for h in env.hosts
            if f"{h.system.id}/{h.group.name}" in groups or roles & set(h.group.roles) or h.zone in zones]


def _sources(env: Environment, entries: list[str], system: System | None = None,
             zone: str | None = None) -> tuple[Source, ...]:
    plan = env.address_plan
    out: list[Source] = []
    for entry in entries:
        if entry == "anywhere":
            out.append(Source(ANYWHERE, entry))
        elif entry in ("tenants", "wan_management"):
            out.append(Source(getattr(plan, entry), entry))
        elif entry == "management":
            out += [Source(n, entry) for n in env.management_cidrs]
        elif entry.startswith("own:"):
            if system is not None:
                out += [Source(env.zone_subnet(system, z), entry, z) for z in _own_zones(system, zone, entry[4:])]
        elif "/" in entry and not entry[0].isdigit():
            system_id, other = entry.split("/", 1)
            out.append(Source(env.zone_subnet(env.system(system_id), other), entry))
        else:
            out.append(Source(IPv4Network(entry), entry))
    # a network inside another source adds nothing (infra/mgmt inside the tenants); a zone of
    # the server's own system stays, as security groups reference it by group
    unique: list[Source] = []
    for source in out:
        if any(u.network == source.network for u in unique):
            continue
        if not source.zone and any(o.network != source.network and source.network.subnet_of(o.network) for o in out):
            continue
        unique.append(source)
    return tuple(unique)


def _own_zones(system: System, zone: str | None, wanted: str) -> list[str]:
    if wanted != "front":
        return [wanted] if wanted in system.zones else []
    return [z for z in FRONT.get(zone, ()) if z in system.zones][:1]
