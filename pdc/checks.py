"""Cross-field checks of an environment: references, ids, addresses, VLANs, levels.

Each check returns errors that point at the file, line and field path of the
offending value, and all checks run so that one run reports every problem.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from ipaddress import IPv4Network
from itertools import combinations
from typing import TYPE_CHECKING

from pdc import paths
from pdc.schema import DATABASE_ROLES, HOST_OFFSET
from pdc.wan import profiles
from pdc.yamlsource import SourceError, dotted

if TYPE_CHECKING:  # the Environment is built from these checks' verdict: no runtime import
    from pdc.environment import Environment

ENV, SYSTEMS, SITES = "environment.yml", "systems.yml", "sites.yml"
MAX_HOSTNAME = 63


class Reporter:
    def __init__(self, env: Environment):
        self.env = env
        self.errors: list[SourceError] = []
        self.display: dict[str, str] = {}  # resolved once per file: thousands of errors stay cheap

    def __call__(self, filename: str, path: tuple, message: str) -> None:
        doc = self.env.docs[filename]
        if filename not in self.display:
            resolved = doc.file.resolve()
            self.display[filename] = str(resolved.relative_to(paths.ROOT)) if resolved.is_relative_to(
                paths.ROOT) else str(doc.file)
        self.errors.append(SourceError(self.display[filename], doc.line_of(path), dotted(path), message))


def check_environment(env: Environment) -> list[SourceError]:
    report = Reporter(env)
    for check in (_plan, _shared_services, _services, _systems, _system_addresses, _sites, _site_vlans, _openstack):
        check(env, report)
    return report.errors


def _duplicates(values: list) -> Iterator[int]:
    """Indexes of the second and later occurrences of a value."""
    seen: set = set()
    for i, v in enumerate(values):
        if v in seen:
            yield i
        seen.add(v)


# ------------------------------------------------------------------ environment.yml


def _plan(env: Environment, report: Reporter) -> None:
    plan = env.address_plan
    supernets = {k: v for k, v in plan if isinstance(v, IPv4Network)}
    for (a, net_a), (b, net_b) in combinations(supernets.items(), 2):
        if net_a.overlaps(net_b):
            report(ENV, ("address_plan", b), f"overlaps address_plan.{a} ({net_a})")
    for key, supernet, prefix in (("system_prefix", plan.tenants, plan.system_prefix),
                                  ("site_prefix", plan.wan_sites, plan.site_prefix)):
        if prefix < supernet.prefixlen:
            report(ENV, ("address_plan", key), f"/{prefix} does not fit in {supernet}")
    if plan.zone_prefix < plan.system_prefix:
        report(ENV, ("address_plan", "zone_prefix"), "a zone subnet cannot be larger than a system block")
    zone_room = (1 << (32 - plan.zone_prefix)) - HOST_OFFSET - 1
    if zone_room < 1:
        report(ENV, ("address_plan", "zone_prefix"),
               f"a /{plan.zone_prefix} zone holds no host: hosts start at offset {HOST_OFFSET} and the last "
               "address is the broadcast")
    if plan.agency_prefix < plan.site_prefix:
        report(ENV, ("address_plan", "agency_prefix"), "an agency subnet cannot be larger than a site block")
    per_block = 1 << (plan.agency_prefix - plan.site_prefix)
    agencies = env.settings.vlan_plan.agencies
    if len(agencies) > per_block:
        report(ENV, ("vlan_plan", "agencies"),
               f"{len(agencies)} agencies do not fit: a /{plan.site_prefix} site block holds "
               f"{per_block} /{plan.agency_prefix} subnets")
    vlan_plan = env.settings.vlan_plan
    keys = [a.key for a in agencies]
    for i in _duplicates(keys):
        report(ENV, ("vlan_plan", "agencies", i, "key"), f"duplicate agency key {keys[i]!r}")
    ids = [a.vlan for a in agencies]
    for i in _duplicates(ids):
        report(ENV, ("vlan_plan", "agencies", i, "vlan"), f"VLAN {ids[i]} is already used by another agency")
    for i, a in enumerate(agencies):
        if a.vlan == vlan_plan.management:
            report(ENV, ("vlan_plan", "agencies", i, "vlan"), f"VLAN {a.vlan} is the management VLAN")
    for tier, chosen in vlan_plan.tier_defaults.items():
        for j, key in enumerate(chosen):
            if key not in keys:
                report(ENV, ("vlan_plan", "tier_defaults", tier, j), f"unknown agency {key!r}")


def _shared_services(env: Environment, report: Reporter) -> None:
    services = env.settings.shared_services
    groups = {f"{s.id}/{g.name}" for s in env.systems for g in s.vm_groups}
    endpoint, path = services.bastion, ("shared_services", "bastion")
    if bool(endpoint.group) == bool(endpoint.addresses):
        report(ENV, path, "give exactly one of 'group' (system/vm-group) or 'addresses'")
    elif endpoint.group and endpoint.group not in groups:
        report(ENV, path + ("group",), f"unknown VM group {endpoint.group!r}")
    systems = {s.id: s for s in env.systems}
    for i, item in enumerate(services.management):
        path = ("shared_services", "management", i)
        if item[:1].isdigit():
            try:
                IPv4Network(item)
            except ValueError as exc:
                report(ENV, path, f"not a CIDR: {exc}")
            continue
        system_id, _, zone = item.partition("/")
        if system_id not in systems:
            report(ENV, path, f"unknown system {system_id!r}")
        elif zone not in systems[system_id].zones:
            report(ENV, path, f"system {system_id!r} has no zone {zone!r}")


# Services whose clients are every host: without a server, nothing would be configured to send.
NEEDS_SERVER = ("syslog", "ntp", "dns")


def _services(env: Environment, report: Reporter) -> None:
    services = env.settings.services
    groups = {f"{s.id}/{g.name}" for s in env.systems for g in s.vm_groups}
    systems = {s.id: s for s in env.systems}
    known_roles = {p.name for p in paths.ROLES.iterdir() if p.is_dir()} if paths.ROLES.is_dir() else set()
    for name in type(services).model_fields:
        service = getattr(services, name)
        base = ("services", name)
        for field in ("protocols", "ports"):
            values = getattr(service, field)
            for i in _duplicates(values):
                report(ENV, base + (field, i), f"{values[i]!r} listed twice")
        by = service.served_by
        if not (by.groups or by.roles or by.zones or by.addresses or by.all_hosts or by.wan_devices):
            report(ENV, base + ("served_by",), "names no server: give groups, roles, zones, addresses, "
                                               "all_hosts or wan_devices")
        for i, ref in enumerate(by.groups):
            if ref not in groups:
                report(ENV, base + ("served_by", "groups", i), f"unknown VM group {ref!r}")
        for i, role in enumerate(by.roles):
            if role not in known_roles:
                report(ENV, base + ("served_by", "roles", i), f"unknown role {role!r} (no roles/{role}/)")
        if name in NEEDS_SERVER and not (by.groups or by.addresses or by.roles or by.zones or by.all_hosts):
            report(ENV, base + ("served_by",), "needs a host or an address: every host and switch sends to it")
        for i, entry in enumerate(service.reachable_from):
            if "/" not in entry or entry[0].isdigit():
                continue
            system_id, zone = entry.split("/", 1)
            if system_id not in systems:
                report(ENV, base + ("reachable_from", i), f"unknown system {system_id!r}")
            elif zone not in systems[system_id].zones:
                report(ENV, base + ("reachable_from", i), f"system {system_id!r} has no zone {zone!r}")


# ------------------------------------------------------------------ systems.yml


def _systems(env: Environment, report: Reporter) -> None:
    ids = [s.id for s in env.systems]
    for i in _duplicates(ids):
        report(SYSTEMS, ("systems", i, "id"), f"duplicate system id {ids[i]!r}")
    slots = [s.slot for s in env.systems]
    for i in _duplicates(slots):
        report(SYSTEMS, ("systems", i, "slot"), f"slot {slots[i]} is already taken by another system")
    known_roles = {p.name for p in paths.ROLES.iterdir() if p.is_dir()} if paths.ROLES.is_dir() else set()
    quota_classes = env.settings.quota_classes
    flavors = env.settings.flavors
    for i, system in enumerate(env.systems):
        base = ("systems", i)
        for j in _duplicates(system.zones):
            report(SYSTEMS, base + ("zones", j), f"zone {system.zones[j]!r} listed twice")
        for zone in system.subnets:
            if zone not in system.zones:
                report(SYSTEMS, base + ("subnets", zone), f"subnet given for zone {zone!r} the system does not use")
        if system.quota.quota_class not in quota_classes:
            report(SYSTEMS, base + ("quota", "class"),
                   f"unknown quota class {system.quota.quota_class!r} (known: {', '.join(quota_classes)})")
        names = [g.name for g in system.vm_groups]
        for j in _duplicates(names):
            report(SYSTEMS, base + ("vm_groups", j, "name"), f"duplicate VM group {names[j]!r}")
        for j, group in enumerate(system.vm_groups):
            gpath = base + ("vm_groups", j)
            if group.zone not in system.zones:
                report(SYSTEMS, gpath + ("zone",), f"zone {group.zone!r} is not in the system's zones")
            if group.flavor not in flavors:
                report(SYSTEMS, gpath + ("flavor",), f"unknown flavor {group.flavor!r}")
            for k, role in enumerate(group.roles):
                if role not in known_roles:
                    report(SYSTEMS, gpath + ("roles", k), f"unknown role {role!r} (no roles/{role}/)")
            hostname = f"{system.id}-{group.name}-{group.count:02d}"
            if len(hostname) > MAX_HOSTNAME:
                report(SYSTEMS, gpath + ("name",), f"host name {hostname!r} is longer than 63 characters")
            if system.level >= 3 and DATABASE_ROLES & set(group.roles) and group.zone != "db":
                report(SYSTEMS, gpath + ("zone",),
                       f"level-{system.level} system keeps a database in zone {group.zone!r}: "
                       "level 3 and above need a separate db zone")


def _system_addresses(env: Environment, report: Reporter) -> None:
    plan = env.address_plan
    capacity = 1 << max(plan.system_prefix - plan.tenants.prefixlen, 0)
    owners: list[tuple[IPv4Network, str]] = []
    for i, system in enumerate(env.systems):
        base = ("systems", i)
        if system.slot >= capacity and set(system.zones) - set(system.subnets):
            report(SYSTEMS, base + ("slot",),
                   f"slot {system.slot} is outside address_plan.tenants ({plan.tenants} holds {capacity} "
                   f"/{plan.system_prefix} blocks)")
            continue
        for zone in system.zones:
            subnet = env.zone_subnet(system, zone)
            path = base + (("subnets", zone) if zone in system.subnets else ("zones",))
            if not subnet.subnet_of(plan.tenants):
                report(SYSTEMS, path, f"{subnet} is outside address_plan.tenants ({plan.tenants})")
            for other, label in owners:
                if subnet.overlaps(other):
                    report(SYSTEMS, path, f"{subnet} ({system.id}/{zone}) overlaps {other} ({label})")
            owners.append((subnet, f"{system.id}/{zone}"))
        for zone in system.zones:
            wanted = sum(g.count for g in system.vm_groups if g.zone == zone)
            subnet = env.zone_subnet(system, zone)
            room = subnet.num_addresses - HOST_OFFSET - 1
            if wanted > room:
                where = max(j for j, g in enumerate(system.vm_groups) if g.zone == zone)
                report(SYSTEMS, base + ("vm_groups", where, "count"),
                       f"subnet {subnet} of zone {zone!r} has room for {max(room, 0)} hosts, "
                       f"{wanted} are planned")


# ------------------------------------------------------------------ sites.yml


def _sites(env: Environment, report: Reporter) -> None:
    sites = env.sites
    plan = env.address_plan
    ids = [s.id for s in sites]
    for i in _duplicates(ids):
        report(SITES, ("sites", i, "id"), f"duplicate site id {ids[i]!r}")
    codes = [s.gso_code for s in sites if s.gso_code]
    dup_codes = {c for c, n in Counter(codes).items() if n > 1}
    seen_codes: set[str] = set()
    by_id = {s.id: s for s in sites}
    dcs = [i for i, s in enumerate(sites) if s.tier == "dc"]
    if len(dcs) != 1:
        report(SITES, ("sites",), f"exactly one site of tier 'dc' is needed, found {len(dcs)}")
    parent_tier = {"district": "dc", "commune": "district"}
    blocks: dict[int, int] = {}
    for i, site in enumerate(sites):
        base = ("sites", i)
        if site.gso_code in dup_codes:
            if site.gso_code in seen_codes:
                report(SITES, base + ("gso_code",), f"duplicate GSO code {site.gso_code}")
            seen_codes.add(site.gso_code)
        if site.name_source == "gso" and not site.gso_code:
            report(SITES, base + ("gso_code",), "required unless name_source is 'generated'")
        _site_ports(env, report, i, site)
        if site.tier == "dc":
            if site.parent:
                report(SITES, base + ("parent",), "the dc site has no parent")
            if site.uplink:
                report(SITES, base + ("uplink",), "the dc site has no uplink (it is the root of the WAN)")
            continue
        if not site.parent:
            report(SITES, base + ("parent",), f"a {site.tier} site needs a parent")
            continue
        parent = by_id.get(site.parent)
        if parent is None:
            report(SITES, base + ("parent",), f"unknown site {site.parent!r}")
            continue
        if parent.tier != parent_tier[site.tier]:
            report(SITES, base + ("parent",),
                   f"a {site.tier} site's parent must be a {parent_tier[site.tier]}, "
                   f"{parent.id!r} is a {parent.tier}")
            continue
        if site.uplink is None:
            report(SITES, base + ("uplink",), f"a {site.tier} site needs an uplink")
        if site.tier == "commune" and not 1 <= site.slot < plan.communes_per_district:
            report(SITES, base + ("slot",),
                   f"commune slot must be 1-{plan.communes_per_district - 1} "
                   "(address_plan.communes_per_district)")
            continue
        if site.tier == "district" and site.slot < 1:
            report(SITES, base + ("slot",), "district slots start at 1 (0 is the data centre)")
            continue
        if parent.model is not None and parent.model not in profiles.models(parent.tier):
            continue  # the parent's unknown model is reported on the parent
        ports = profiles.profile(parent).downlinks
        if site.slot > len(ports):
            report(SITES, base + ("slot",),
                   f"slot {site.slot} has no downlink port on {parent.id!r}: a {parent.tier} switch "
                   f"({profiles.profile(parent).model}) has {len(ports)}, one per child slot")
            continue
        block = env.site_block(site)
        if block in blocks:
            report(SITES, base + ("slot",),
                   f"slot {site.slot} under {site.parent!r} is already taken by {sites[blocks[block]].id!r}")
        blocks[block] = i
    _site_addresses(env, report, blocks)


def _site_ports(env: Environment, report: Reporter, i: int, site) -> None:
    """The site's switch model exists for its tier and has the ports the templates will configure."""
    if site.model is not None and site.model not in profiles.models(site.tier):
        report(SITES, ("sites", i, "model"),
               f"{site.model!r} is not a {site.tier} switch model pdc knows "
               f"(known: {', '.join(profiles.models(site.tier))})")
        return
    profile = profiles.profile(site)
    if site.uplink is not None and site.tier != "dc" and site.uplink.interface != profile.uplinks[0]:
        report(SITES, ("sites", i, "uplink", "interface"),
               f"{site.uplink.interface!r} is not the uplink port of a {site.tier} switch ({profile.model}): "
               f"use {profile.uplinks[0]}")
    agencies = len(site.vlans if site.vlans is not None else env.settings.vlan_plan.tier_defaults.get(
        site.tier, []))
    if agencies > len(profile.access):
        report(SITES, ("sites", i, "vlans"),
               f"{agencies} agency VLANs but a {site.tier} switch ({profile.model}) has "
               f"{len(profile.access)} access ports")


def _site_addresses(env: Environment, report: Reporter, blocks: dict[int, int]) -> None:
    plan = env.address_plan
    limits = {
        "wan_management": plan.wan_management.num_addresses - 2,
        "wan_sites": 1 << max(plan.site_prefix - plan.wan_sites.prefixlen, 0),
        "wan_links": 1 << max(30 - plan.wan_links.prefixlen, 0),
    }
    placed = set()  # sites whose block fits every supernet: only their addresses can be derived
    for block, i in sorted(blocks.items()):
        fits = True
        for supernet, limit in limits.items():
            if block >= limit:
                fits = False
                report(SITES, ("sites", i, "slot"),
                       f"address block {block} does not fit in address_plan.{supernet} ({limit} blocks)")
        if fits:
            placed.add(i)
    mgmt_seen: dict = {}
    for i, site in enumerate(env.sites):
        if site.mgmt_ip is not None and site.mgmt_ip not in plan.wan_management:
            report(SITES, ("sites", i, "mgmt_ip"),
                   f"{site.mgmt_ip} is outside address_plan.wan_management ({plan.wan_management})")
        if site.tier != "dc" and i not in placed:
            continue
        try:
            ip = env.mgmt_ip(site)
        except KeyError:
            continue
        if ip in mgmt_seen:
            report(SITES, ("sites", i, "mgmt_ip"), f"management address {ip} is already used by {mgmt_seen[ip]!r}")
        mgmt_seen[ip] = site.id


def _site_vlans(env: Environment, report: Reporter) -> None:
    agencies = {a.key: a for a in env.settings.vlan_plan.agencies}
    for i, site in enumerate(env.sites):
        if site.vlans is None:
            continue
        used: dict[int, str] = {env.settings.vlan_plan.management: "management"}
        for j, key in enumerate(site.vlans):
            path = ("sites", i, "vlans", j)
            agency = agencies.get(key)
            if agency is None:
                report(SITES, path, f"unknown agency {key!r} (not in vlan_plan.agencies)")
                continue
            if agency.vlan in used:
                report(SITES, path, f"VLAN {agency.vlan} is used twice at this site (also {used[agency.vlan]})")
            used[agency.vlan] = key


# ------------------------------------------------------------------ openstack (stacks/)


def _openstack(env: Environment, report: Reporter) -> None:
    """Volume types named anywhere must exist; the encrypted one must really be encrypted."""
    settings = env.settings.openstack
    if settings is None:
        return
    types = settings.volume_types
    for key in ("default_volume_type", "encrypted_volume_type"):
        name = getattr(settings, key)
        if name not in types:
            report(ENV, ("openstack", key), f"unknown volume type {name!r} (known: {', '.join(types)})")
    if settings.encrypted_volume_type in types and not types[settings.encrypted_volume_type].encrypted:
        report(ENV, ("openstack", "encrypted_volume_type"),
               f"volume type {settings.encrypted_volume_type!r} is not marked encrypted in volume_types")
    for i, system in enumerate(env.systems):
        for j, group in enumerate(system.vm_groups):
            if group.volume_type is not None and group.volume_type not in types:
                report(SYSTEMS, ("systems", i, "vm_groups", j, "volume_type"),
                       f"unknown volume type {group.volume_type!r} (known: {', '.join(types)})")
