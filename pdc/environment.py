"""An environment: the folder inventories/<env>/, loaded, validated and derived.

This is the one shared model that every engine reads. Addresses are never
stored twice: hosts, subnets, switch addresses and VLAN subnets are derived
here from the address plan and each item's slot, unless an item overrides
them explicitly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

from pydantic import BaseModel, ValidationError

from pdc import paths, sources
from pdc.audit.waivers import WaiverErrors, load_waivers
from pdc.checks import check_environment
from pdc.controls import InvalidCatalog, load_catalog
from pdc.schema import (
    HOST_OFFSET,
    ZONES,
    AgencyVlan,
    EnvironmentFile,
    Site,
    SitesFile,
    System,
    SystemsFile,
    VmGroup,
)
from pdc.schema_errors import schema_errors
from pdc.yamlsource import SourceDoc, SourceError, load

FILES: dict[str, type[BaseModel]] = {
    "environment.yml": EnvironmentFile,
    "systems.yml": SystemsFile,
    "sites.yml": SitesFile,
}


class InvalidEnvironment(Exception):
    """Every problem found in one run, each naming its file, line and field."""

    def __init__(self, errors: list[SourceError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class Host:
    name: str
    system: System
    group: VmGroup
    index: int  # 1-based within its group
    address: IPv4Address

    @property
    def zone(self) -> str:
        return self.group.zone

    @property
    def level(self) -> int:
        return self.system.level

    @property
    def ansible_groups(self) -> list[str]:
        """Groups the host belongs to: its system, zone, level, VM group, roles and extras."""
        names = [
            self.system.id,
            f"{self.system.id}_{self.group.name}".replace("-", "_"),
            f"zone_{self.zone}",
            f"level_{self.level}",
            *self.group.roles,
            *self.group.groups,
        ]
        return list(dict.fromkeys(n.replace("-", "_") for n in names))


@dataclass(frozen=True)
class AgencyNet:
    agency: AgencyVlan
    subnet: IPv4Network

    @property
    def gateway(self) -> IPv4Address:
        return self.subnet.network_address + 1


class Environment:
    """A loaded, validated environment. Build it with :func:`load_environment`."""

    def __init__(self, root: Path, docs: dict[str, SourceDoc], env: EnvironmentFile,
                 systems: SystemsFile, sites: SitesFile):
        self.root = root
        self.docs = docs
        self.settings = env
        self.systems: list[System] = systems.systems
        self.sites: list[Site] = sites.sites

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def address_plan(self):
        return self.settings.address_plan

    # ------------------------------------------------------------ systems and hosts

    def system(self, system_id: str) -> System:
        return next(s for s in self.systems if s.id == system_id)

    def system_block(self, system: System) -> IPv4Network:
        return _nth_subnet(self.address_plan.tenants, self.address_plan.system_prefix, system.slot)

    def zone_subnet(self, system: System, zone: str) -> IPv4Network:
        if zone in system.subnets:
            return system.subnets[zone]
        return _nth_subnet(self.system_block(system), self.address_plan.zone_prefix, ZONES.index(zone))

    def zone_subnets(self, system: System) -> dict[str, IPv4Network]:
        return {zone: self.zone_subnet(system, zone) for zone in system.zones}

    @cached_property
    def hosts(self) -> list[Host]:
        out: list[Host] = []
        for system in self.systems:
            next_in_zone: dict[str, int] = {}
            for group in system.vm_groups:
                subnet = self.zone_subnet(system, group.zone)
                for i in range(1, group.count + 1):
                    offset = HOST_OFFSET + next_in_zone.get(group.zone, 0)
                    next_in_zone[group.zone] = next_in_zone.get(group.zone, 0) + 1
                    out.append(Host(
                        name=f"{system.id}-{group.name}-{i:02d}",
                        system=system, group=group, index=i,
                        address=subnet.network_address + offset,
                    ))
        return out

    def host(self, name: str) -> Host:
        return next(h for h in self.hosts if h.name == name)

    def group_hosts(self, ref: str) -> list[Host]:
        """Hosts of a ``system/vm-group`` reference."""
        system_id, group_name = ref.split("/", 1)
        return [h for h in self.hosts if h.system.id == system_id and h.group.name == group_name]

    def endpoint_addresses(self, name: str) -> list[IPv4Address]:
        """Addresses of a shared_services endpoint (the bastion); services are in pdc.flows."""
        endpoint = getattr(self.settings.shared_services, name)
        if endpoint.group:
            return [h.address for h in self.group_hosts(endpoint.group)]
        return list(endpoint.addresses)

    @cached_property
    def management_cidrs(self) -> list[IPv4Network]:
        """The networks administrators come from (SSH, switch vty ACLs)."""
        out = []
        for item in self.settings.shared_services.management:
            if "/" in item and not item[0].isdigit():
                system_id, zone = item.split("/", 1)
                out.append(self.zone_subnet(self.system(system_id), zone))
            else:
                out.append(IPv4Network(item))
        return out

    # ------------------------------------------------------------ WAN sites

    @cached_property
    def _sites_by_id(self) -> dict[str, Site]:
        return {s.id: s for s in self.sites}

    def site(self, site_id: str) -> Site:
        return self._sites_by_id[site_id]

    def site_block(self, site: Site) -> int:
        """The site's index in every WAN supernet: dc 0, district d*N, commune d*N+k."""
        per_district = self.address_plan.communes_per_district
        if site.tier == "dc":
            return 0
        if site.tier == "district":
            return site.slot * per_district
        return self.site(site.parent).slot * per_district + site.slot

    def mgmt_ip(self, site: Site) -> IPv4Address:
        if site.mgmt_ip:
            return site.mgmt_ip
        return self.address_plan.wan_management.network_address + 1 + self.site_block(site)

    def uplink_subnet(self, site: Site) -> IPv4Network:
        return _nth_subnet(self.address_plan.wan_links, 30, self.site_block(site))

    def site_agencies(self, site: Site) -> list[AgencyVlan]:
        keys = site.vlans if site.vlans is not None else self.settings.vlan_plan.tier_defaults.get(
            site.tier, [])
        by_key = {a.key: a for a in self.settings.vlan_plan.agencies}
        return [by_key[k] for k in keys]

    def site_subnet(self, site: Site) -> IPv4Network:
        """The site's whole block in wan_sites (every agency subnet of the site is inside it)."""
        return _nth_subnet(self.address_plan.wan_sites, self.address_plan.site_prefix, self.site_block(site))

    def agency_nets(self, site: Site) -> list[AgencyNet]:
        """One subnet per agency VLAN; its index in the plan fixes its place in the site block."""
        block = _nth_subnet(self.address_plan.wan_sites, self.address_plan.site_prefix, self.site_block(site))
        order = [a.key for a in self.settings.vlan_plan.agencies]
        return [
            AgencyNet(a, _nth_subnet(block, self.address_plan.agency_prefix, order.index(a.key)))
            for a in self.site_agencies(site)
        ]

    def children(self, site: Site) -> list[Site]:
        return [s for s in self.sites if s.parent == site.id]

    # ------------------------------------------------------------ summaries

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "systems": [
                {
                    "id": s.id, "name_vi": s.name_vi, "name_en": s.name_en, "owner": s.owner,
                    "level": s.level,
                    "subnets": {z: str(n) for z, n in self.zone_subnets(s).items()},
                    "hosts": [h.name for h in self.hosts if h.system.id == s.id],
                }
                for s in self.systems
            ],
            "hosts": [
                {"name": h.name, "address": str(h.address), "system": h.system.id,
                 "level": h.level, "zone": h.zone, "os": h.group.os, "groups": h.ansible_groups}
                for h in self.hosts
            ],
            "sites": [
                {"id": s.id, "name": s.name, "tier": s.tier, "parent": s.parent,
                 "gso_code": s.gso_code, "platform": s.platform, "mgmt_ip": str(self.mgmt_ip(s))}
                for s in self.sites
            ],
        }


def _nth_subnet(supernet: IPv4Network, prefix: int, n: int) -> IPv4Network:
    """The n-th subnet of a given prefix inside a supernet, without listing them all."""
    if prefix < supernet.prefixlen:
        raise ValueError(f"/{prefix} is larger than {supernet}")
    count = 1 << (prefix - supernet.prefixlen)
    if not 0 <= n < count:
        raise IndexError(f"{supernet} holds only {count} /{prefix} subnets, not #{n}")
    size = 1 << (32 - prefix)
    return IPv4Network((int(supernet.network_address) + n * size, prefix))


def resolve(env: str | Path) -> Path:
    """An environment name under inventories/, or a path to an environment folder."""
    candidate = Path(env)
    if candidate.is_dir():
        return candidate
    named = paths.INVENTORIES / str(env)
    if named.is_dir():
        return named
    known = ", ".join(sorted(p.name for p in paths.INVENTORIES.iterdir() if p.is_dir()))
    raise InvalidEnvironment([SourceError(str(env), None, "", f"no such environment (known: {known})")])


def load_environment(env: str | Path) -> Environment:
    """Load and fully validate an environment; raise InvalidEnvironment with every error."""
    root = resolve(env)
    errors: list[SourceError] = []
    docs: dict[str, SourceDoc] = {}
    parsed: dict[str, BaseModel] = {}
    for filename, model in FILES.items():
        display = _display(root / filename)
        try:
            doc = load(root / filename, display, root)
        except SourceError as exc:
            errors.append(exc)
            continue
        docs[filename] = doc
        try:
            parsed[filename] = model.model_validate(doc.data)
        except ValidationError as exc:
            errors.extend(schema_errors(display, doc, exc))
    if errors:
        raise InvalidEnvironment(errors)
    environment = Environment(root, docs, parsed["environment.yml"], parsed["systems.yml"],
                              parsed["sites.yml"])
    errors = check_environment(environment)
    errors.extend(_waiver_errors(root, environment))
    errors.extend(sources.errors(root, _display))
    if errors:
        raise InvalidEnvironment(errors)
    return environment


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(paths.ROOT))
    except (ValueError, OSError, RuntimeError):  # outside the repository, or a symlink loop
        return str(path)


def _waiver_errors(root: Path, environment: Environment) -> list[SourceError]:
    """waivers.yml belongs to the environment: same loader, the lifetime it sets, its systems, and
    the catalog's ids (a waiver or opt-in naming a control that does not exist changes nothing)."""
    try:
        catalog = load_catalog()
        load_waivers(root / "waivers.yml", {c.id for c in catalog.controls}, dt.date.today(),
                     max_days=environment.settings.waivers.max_days, display=_display(root / "waivers.yml"),
                     opt_in_controls={c.id for c in catalog.controls if c.status == "opt-in"},
                     systems={s.id for s in environment.systems})
    except (InvalidCatalog, WaiverErrors) as exc:
        return exc.errors
    return []
