"""Least-privilege security groups derived from the model: one baseline group every port
gets (what every host needs), and one per zone.

Baseline:
- SSH in only from the management CIDRs (shared_services.management);
- out: syslog to the SOC collector, NTP and DNS to their servers, the package mirror.
Zones, ingress:
- DMZ: 443 and 80 (the redirect to HTTPS) from anywhere: the only rules open to 0.0.0.0/0;
- app: its service ports (openstack.app_ports) only from the DMZ group;
- db: database ports (from the roles of its VM groups) only from the zone in front of it
  (app, else dmz) and from its own group (replication);
- shared-service roles (SOC collector, NTP, DNS) from the tenant supernet and the WAN devices.
Zones, egress (the default allow-all rules are deleted everywhere):
- the next tier's ports (dmz -> app -> db); SSH from bastions into the tenants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Address, ip_address
from urllib.parse import urlsplit

import pulumi
import pulumi_openstack as openstack

from pdc.environment import Environment
from pdc.schema import System

ANYWHERE = "0.0.0.0/0"
ROLE_DB_PORTS = {"postgresql": [5432]}
NTP, DNS, SSH = 123, 53, 22


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


def db_ports(system: System) -> list[int]:
    ports = [p for g in system.vm_groups if g.zone == "db" for r in g.roles for p in ROLE_DB_PORTS.get(r, [])]
    return sorted(set(ports))


def upstream_of_db(system: System) -> str | None:
    for zone in ("app", "dmz"):
        if zone in system.zones:
            return zone
    return None


def _mirror_rules(env: Environment) -> list[Rule]:
    """Egress to the package mirror: its address when the URL names one, else its port anywhere."""
    mirror = env.settings.shared_services.package_mirror
    out = []
    for url in dict.fromkeys((mirror.debian, mirror.security)):
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            remote = f"{ip_address(parts.hostname)}/32"
        except ValueError:  # a DNS name: its address is not in the model
            remote = ANYWHERE
        out.append(Rule("egress", "tcp", port, remote, why=f"package mirror {parts.hostname}"))
    return out


BASE = "base"  # the baseline group's key, next to the zone names


def base_rules(env: Environment) -> list[Rule]:
    """What every host of every tenant needs: administration in, shared services out."""
    services = env.settings.shared_services
    rules = [Rule("ingress", "tcp", SSH, str(cidr), why="SSH from management")
             for cidr in env.management_cidrs]
    syslog_port = services.soc_collector.port or 514
    for cidr in _hosts(env.endpoint_addresses("soc_collector")):
        rules += [Rule("egress", proto, syslog_port, cidr, why="syslog to the SOC") for proto in ("udp", "tcp")]
    rules += [Rule("egress", "udp", NTP, c, why="time") for c in _hosts(env.endpoint_addresses("ntp"))]
    rules += [Rule("egress", proto, DNS, c, why="name resolution")
              for c in _hosts(env.endpoint_addresses("dns")) for proto in ("udp", "tcp")]
    rules += _mirror_rules(env)
    return list(dict.fromkeys(rules))


def group_rules(env: Environment, system: System, key: str) -> list[Rule]:
    return base_rules(env) if key == BASE else zone_rules(env, system, key)


def zone_rules(env: Environment, system: System, zone: str) -> list[Rule]:
    """Every rule of one zone's security group, deduplicated, in a stable order."""
    services = env.settings.shared_services
    groups = [g for g in system.vm_groups if g.zone == zone]
    roles = {r for g in groups for r in g.roles}
    served_from = [str(env.address_plan.tenants), str(env.address_plan.wan_management)]
    rules: list[Rule] = []
    if zone == "dmz":
        rules += [Rule("ingress", "tcp", p, ANYWHERE, why="public web") for p in (443, 80)]
        if "app" in system.zones:
            rules += [Rule("egress", "tcp", p, remote_zone="app", why="to the app tier")
                      for p in env.settings.openstack.app_ports]
    if zone == "app" and "dmz" in system.zones:
        rules += [Rule("ingress", "tcp", p, remote_zone="dmz", why="from the DMZ only")
                  for p in env.settings.openstack.app_ports]
    upstream = upstream_of_db(system)
    if "db" in system.zones and upstream == zone:
        rules += [Rule("egress", "tcp", p, remote_zone="db", why="to the database tier") for p in db_ports(system)]
    if zone == "db":
        for p in db_ports(system):
            if upstream:
                rules.append(Rule("ingress", "tcp", p, remote_zone=upstream, why=f"from {upstream} only"))
            rules.append(Rule("ingress", "tcp", p, remote_zone="db", why="replication"))
            rules.append(Rule("egress", "tcp", p, remote_zone="db", why="replication"))
    if "soc_collector" in roles:
        port = services.soc_collector.port or 514
        rules += [Rule("ingress", proto, port, cidr, why="syslog from tenants and WAN devices")
                  for proto in ("udp", "tcp") for cidr in served_from]
    if "ntp_server" in roles:
        rules += [Rule("ingress", "udp", NTP, cidr, why="NTP clients") for cidr in served_from]
    if "dns_server" in roles:
        rules += [Rule("ingress", proto, DNS, cidr, why="DNS clients")
                  for proto in ("udp", "tcp") for cidr in served_from]
    if "bastion" in roles:
        rules.append(Rule("egress", "tcp", SSH, str(env.address_plan.tenants), why="bastion into the tenants"))
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
