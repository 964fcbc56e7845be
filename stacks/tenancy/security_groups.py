"""Least-privilege security groups rendered from the environment's flows (pdc.flows): one
baseline group every port gets, and one per zone.

Baseline (every host): ingress for what every host serves (SSH from its clients); egress to the
servers of the services every host is a client of (syslog, NTP, DNS: their `reachable_from`
holds the tenants) and to the package mirror.
Zones: ingress for what the zone's hosts serve, from the networks the flow names, or from a
zone's security group when the flow names a zone of the same system (own:front, own:db); egress
to the zones of the same system this zone is a client of. The default allow-all rules are
deleted everywhere. Bastions reach SSH in the tenants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Address, ip_address
from urllib.parse import urlsplit

import pulumi
import pulumi_openstack as openstack

from pdc.environment import Environment
from pdc.flows import Flow, flows
from pdc.schema import System

ANYWHERE = "0.0.0.0/0"
# URL schemes' well-known ports, for a mirror URL that names none
SCHEME_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Rule:
    direction: str  # ingress | egress
    protocol: str  # tcp | udp
    port: int
    remote_cidr: str | None = None
    remote_zone: str | None = None  # another zone's security group in the same tenant
    why: str = ""

    @property
    def slug(self) -> str:
        remote = self.remote_cidr or f"sg-{self.remote_zone}"
        return re.sub(r"[^a-z0-9.-]+", "_", f"{self.direction}-{self.protocol}-{self.port}-{remote}")


def _hosts(addresses: list[IPv4Address]) -> list[str]:
    return [f"{a}/32" for a in dict.fromkeys(addresses)]


def _mirror_rules(env: Environment) -> list[Rule]:
    """Egress to the package mirror: its address when the URL names one, else its port anywhere."""
    mirror = env.settings.shared_services.package_mirror
    out = []
    for url in dict.fromkeys((mirror.debian, mirror.security)):
        parts = urlsplit(url)
        port = parts.port or SCHEME_PORTS[parts.scheme]
        try:
            remote = f"{ip_address(parts.hostname)}/32"
        except ValueError:  # a DNS name: its address is not in the model
            remote = ANYWHERE
        out.append(Rule("egress", "tcp", port, remote, why=f"package mirror {parts.hostname}"))
    return out


BASE = "base"  # the baseline group's key, next to the zone names


def _ingress(flow: Flow) -> list[Rule]:
    out = []
    for source in flow.sources:
        for proto in flow.protocols:
            for port in flow.ports:
                if source.zone:
                    out.append(Rule("ingress", proto, port, remote_zone=source.zone,
                                    why=f"{flow.service} from {source.label}"))
                else:
                    out.append(Rule("ingress", proto, port, str(source.network),
                                    why=f"{flow.service} from {source.label}"))
    return out


def _every_host_serves(env: Environment) -> list[str]:
    return [name for name in type(env.settings.services).model_fields
            if getattr(env.settings.services, name).served_by.all_hosts]


def base_rules(env: Environment) -> list[Rule]:
    """What every host of every tenant needs: what all hosts serve, in; shared services, out."""
    view = flows(env)
    rules: list[Rule] = []
    for name in _every_host_serves(env):
        service = view.service(name)
        rules += [Rule("ingress", proto, port, str(n), why=f"{name} from {n}")
                  for n in view.clients(name) for proto in service.protocols for port in service.ports]
    for name in ("syslog", "ntp", "dns"):  # every host is a client of these (pdc.hostvars)
        service = view.service(name)
        rules += [Rule("egress", proto, port, cidr, why=f"{name} to its servers")
                  for cidr in _hosts(view.server_addresses(name, without_devices=True))
                  for proto in service.protocols for port in service.ports]
    rules += _mirror_rules(env)
    return list(dict.fromkeys(rules))


def group_rules(env: Environment, system: System, key: str) -> list[Rule]:
    return base_rules(env) if key == BASE else zone_rules(env, system, key)


def zone_rules(env: Environment, system: System, zone: str) -> list[Rule]:
    """Every rule of one zone's security group, deduplicated, in a stable order."""
    view = flows(env)
    every_host = set(_every_host_serves(env))
    rules: list[Rule] = []
    for flow in view.zone_inbound(system, zone):
        if flow.service not in every_host:  # already in the baseline group
            rules += _ingress(flow)
    for flow in view.zone_outbound(system, zone):
        rules += [Rule("egress", proto, port, remote_zone=flow.zone, why=f"{flow.service} to {flow.zone}")
                  for proto in flow.protocols for port in flow.ports]
    roles = {r for g in system.vm_groups if g.zone == zone for r in g.roles}
    if "bastion" in roles:
        ssh = view.service("ssh")
        rules += [Rule("egress", proto, port, str(env.address_plan.tenants), why="bastion into the tenants")
                  for proto in ssh.protocols for port in ssh.ports]
    return list(dict.fromkeys(rules))


def security_groups(env: Environment, system: System, tenant_id: pulumi.Input[str], tags_of,
                    parent: pulumi.Resource) -> dict[str, openstack.networking.SecGroup]:
    """The baseline group and one per zone, then their rules (a rule's remote may be any zone)."""
    opts = pulumi.ResourceOptions(parent=parent)
    groups = {
        key: openstack.networking.SecGroup(
            f"{system.id}-{key}", name=f"{system.id}-{key}", tenant_id=tenant_id,
            description=f"{system.id} {key} (level {system.level}), managed by pdc",
            delete_default_rules=True, tags=tags_of(None if key == BASE else key), opts=opts)
        for key in (BASE, *system.zones)
    }
    for zone, group in groups.items():
        for rule in group_rules(env, system, zone):
            openstack.networking.SecGroupRule(
                f"{system.id}-{zone}-{rule.slug}", security_group_id=group.id, tenant_id=tenant_id,
                direction=rule.direction, ethertype="IPv4", protocol=rule.protocol,
                port_range_min=rule.port, port_range_max=rule.port, remote_ip_prefix=rule.remote_cidr,
                remote_group_id=groups[rule.remote_zone].id if rule.remote_zone else None,
                description=rule.why, opts=opts)
    return groups
