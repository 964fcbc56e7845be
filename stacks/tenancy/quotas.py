"""Quotas of a tenant: planned usage from the VM groups and topology, plus headroom.

Every field of the three quota resources is sent explicitly: a quota argument
left unset is sent as 0 by some provider versions (seen with Terraform's), which
would silently lock the tenant out of that resource. Fields the model cannot
plan carry the services' stock defaults, stated here.
"""

from __future__ import annotations

from dataclasses import dataclass

from pdc.environment import Environment
from pdc.schema import System

from .security_groups import base_rules, zone_rules
from .topology import topology

DEFAULT_SG_RULES = 4  # Neutron's "default" group: ingress from itself and egress, IPv4 and IPv6
NOVA_DEFAULTS = {"metadata_items": 128, "injected_files": 5, "injected_file_content_bytes": 10240,
                 "injected_file_path_bytes": 255}
UNLIMITED = -1


@dataclass(frozen=True)
class Usage:
    instances: int
    cores: int
    ram_mb: int
    volumes: int
    gigabytes: int
    server_groups: int
    server_group_members: int
    key_pairs: int
    networks: int
    subnets: int
    ports: int
    routers: int
    security_groups: int
    security_group_rules: int
    floating_ips: int


def planned_usage(env: Environment, system: System) -> Usage:
    groups = system.vm_groups
    flavors = env.settings.flavors
    topo = topology(system)
    hosts = sum(g.count for g in groups)
    return Usage(
        instances=hosts,
        cores=sum(g.count * flavors[g.flavor].vcpus for g in groups),
        ram_mb=sum(g.count * flavors[g.flavor].ram_mb for g in groups),
        volumes=sum(g.count * (1 + (g.data_volume_gb > 0)) for g in groups),
        gigabytes=sum(g.count * (g.boot_volume_gb + g.data_volume_gb) for g in groups),
        server_groups=sum(1 for g in groups if g.count >= 2),
        server_group_members=max((g.count for g in groups if g.count >= 2), default=0),
        key_pairs=1,
        networks=len(topo.networks),
        subnets=len(system.zones),
        # instance ports + router legs + one DHCP port per subnet
        ports=hosts + topo.router_ports + len(system.zones),
        routers=topo.routers,
        security_groups=len(system.zones) + 2,  # the zones, the baseline and Neutron's default
        security_group_rules=sum(len(zone_rules(env, system, z)) for z in system.zones)
        + len(base_rules(env)) + DEFAULT_SG_RULES,
        floating_ips=sum(g.count for g in groups if g.zone == "dmz"),
    )


def with_headroom(n: int, percent: int) -> int:
    return -(-n * (100 + percent) // 100)  # ceiling without floats


def quotas(env: Environment, system: System) -> dict[str, dict[str, int]]:
    """Values for compute (QuotaSetV2), network (QuotaV2) and volume (QuoteSetV3), by service.

    Planned quantities get the system's headroom; floating IPs, security groups and
    their rules, routers and snapshots come from its quota class as they are, so
    that the policy pack can catch a class too small for the plan.
    """
    use = planned_usage(env, system)
    qclass = env.settings.quota_classes[system.quota.quota_class]
    h = system.quota.headroom_percent

    def room(n: int) -> int:
        return with_headroom(n, h)

    return {
        "compute": {
            "instances": room(use.instances), "cores": room(use.cores), "ram": room(use.ram_mb),
            "key_pairs": room(use.key_pairs), "server_groups": room(use.server_groups),
            "server_group_members": room(use.server_group_members),
            "floating_ips": qclass.floating_ips, "security_groups": qclass.security_groups,
            "security_group_rules": qclass.security_group_rules, "fixed_ips": UNLIMITED,
            **NOVA_DEFAULTS,
        },
        "network": {
            "network": room(use.networks), "subnet": room(use.subnets), "port": room(use.ports),
            "router": qclass.routers, "floatingip": qclass.floating_ips,
            "security_group": qclass.security_groups, "security_group_rule": qclass.security_group_rules,
            "rbac_policy": 10, "subnetpool": UNLIMITED,
        },
        "volume": {
            "volumes": room(use.volumes), "gigabytes": room(use.gigabytes), "snapshots": qclass.snapshots,
            "backups": room(use.volumes), "backup_gigabytes": room(use.gigabytes),
            "per_volume_gigabytes": UNLIMITED, "groups": 10,
        },
    }
