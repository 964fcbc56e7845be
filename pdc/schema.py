"""The schema of an environment's files (inventories/<env>/*.yml).

Only shape and types live here; cross-references and address checks are in
``pdc.checks``. Every model forbids unknown fields so that a typo is an error
rather than a silently ignored setting.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# A DNS label that is also a valid OpenStack name and Linux hostname part.
DnsLabel = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$", max_length=32)
]
# Site ids: ASCII only (they become hostnames and file names).
SiteId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,40}[a-z0-9]$")]
GsoCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{2,5}$")]
VlanId = Annotated[int, Field(ge=1, le=4094)]
# Ansible role and group names (ansible-lint's role-name rule).
AnsibleName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Zone = Literal["dmz", "app", "db", "mgmt"]
Tier = Literal["dc", "district", "commune"]
Platform = Literal["cisco_ios", "huawei_vrp"]

# What each pattern means, for error messages people can act on.
PATTERN_HELP = {
    r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$":
        "must be a DNS label: lowercase ASCII letters, digits and '-', starting with a letter, at most 32",
    r"^[a-z][a-z0-9-]{0,40}[a-z0-9]$":
        "must be lowercase ASCII letters, digits and '-', starting with a letter (no diacritics)",
    r"^[a-z][a-z0-9_]{0,39}$": "must be lowercase ASCII letters, digits and '_', starting with a letter",
    r"^[0-9]{2,5}$": "must be a GSO code of 2 to 5 digits",
}

# Fixed order: a zone's subnet is its position in the system's block.
ZONES: tuple[Zone, ...] = ("dmz", "app", "db", "mgmt")
DATABASE_ROLES = frozenset({"postgresql"})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- environment.yml


class AddressPlan(Strict):
    """Supernets per purpose; every address is derived from these and a slot."""

    tenants: IPv4Network = Field(description="zone subnets of every system")
    system_prefix: int = Field(22, ge=8, le=28, description="size of one system's block")
    zone_prefix: int = Field(24, ge=16, le=29)
    floating: IPv4Network = Field(description="external network of floating IPs")
    wan_management: IPv4Network = Field(description="switch management addresses")
    wan_sites: IPv4Network = Field(description="agency VLAN subnets, one block per site")
    site_prefix: int = Field(24, ge=16, le=28)
    agency_prefix: int = Field(27, ge=20, le=30)
    wan_links: IPv4Network = Field(description="uplink /30s, one per site")
    communes_per_district: int = Field(
        64, ge=2, le=256, description="address blocks kept for the communes of one district"
    )


class AgencyVlan(Strict):
    key: DnsLabel
    vlan: VlanId
    name: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9_-]{1,32}$")]
    description: str


class VlanPlan(Strict):
    management: VlanId
    agencies: list[AgencyVlan] = Field(min_length=1)
    tier_defaults: dict[Tier, list[str]] = Field(
        default_factory=dict, description="agency keys a site of that tier gets when it lists none"
    )


class Endpoint(Strict):
    """A service: either a VM group of the environment or literal addresses."""

    group: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+/[a-z0-9-]+$")] | None = None
    addresses: list[IPv4Address] = Field(default_factory=list)
    port: int | None = Field(None, ge=1, le=65535)


class PackageMirror(Strict):
    debian: str = Field(pattern=r"^https?://")
    security: str = Field(pattern=r"^https?://")


class SharedServices(Strict):
    domain: Annotated[str, StringConstraints(pattern=r"^[a-z0-9.-]+\.[a-z]{2,}$")]
    ntp: Endpoint
    dns: Endpoint
    soc_collector: Endpoint
    bastion: Endpoint
    management: list[str] = Field(
        min_length=1, description="management CIDRs, or system/zone references"
    )
    package_mirror: PackageMirror


class QuotaClass(Strict):
    floating_ips: int = Field(ge=0)
    security_groups: int = Field(ge=1)
    security_group_rules: int = Field(ge=1)
    routers: int = Field(ge=0)
    snapshots: int = Field(ge=0)


class Flavor(Strict):
    vcpus: int = Field(ge=1)
    ram_mb: int = Field(ge=256)


class LabSettings(Strict):
    """How the embedded lab maps this environment onto one machine."""

    gateway_network: IPv4Network | None = Field(
        None,
        description="the link from this machine (the lab's controller and package proxy) to the lab core;"
        " must be inside shared_services.management"
    )
    switch_base_port: int = Field(22000, ge=1024, le=60000)


class VolumeType(Strict):
    encrypted: bool = Field(description="true when the cloud encrypts this type's volumes (LUKS via Barbican)")


class OpenStackSettings(Strict):
    """What the tenant stacks need to know about the cloud itself (stacks/)."""

    external_network: str = Field(
        min_length=1, description="provider network for router gateways and floating IPs")
    domain: str = Field("default", min_length=1, description="Keystone domain of the projects and admin groups")
    admin_group_role: str = Field("member", min_length=1, description="role a system's admin group gets")
    volume_types: dict[str, VolumeType] = Field(min_length=1, description="the cloud's volume types")
    default_volume_type: str = Field(min_length=1, description="volumes of systems below encrypted_from_level")
    encrypted_volume_type: str = Field(min_length=1, description="volumes of systems at encrypted_from_level+")
    encrypted_from_level: int = Field(3, ge=1, le=5)
    app_ports: list[Annotated[int, Field(ge=1, le=65535)]] = Field(
        default_factory=lambda: [8080], min_length=1, description="TCP ports the app zone serves the DMZ on")


class EnvironmentFile(Strict):
    name: DnsLabel
    description: str
    address_plan: AddressPlan
    vlan_plan: VlanPlan
    shared_services: SharedServices
    quota_classes: dict[str, QuotaClass] = Field(min_length=1)
    flavors: dict[str, Flavor] = Field(min_length=1)
    lab: LabSettings | None = None
    openstack: OpenStackSettings | None = Field(None, description="needed by `pdc plan` and the stacks")


# ---------------------------------------------------------------- systems.yml


class VmGroup(Strict):
    name: DnsLabel
    count: int = Field(ge=1, le=64)
    flavor: str = Field(min_length=1)
    image: str = Field(min_length=1)
    os: Literal["debian12", "debian13"]
    boot_volume_gb: int = Field(ge=1, le=2048)
    data_volume_gb: int = Field(0, ge=0, le=65536)
    zone: Zone
    roles: list[AnsibleName] = Field(default_factory=list, description="Ansible roles to apply")
    groups: list[AnsibleName] = Field(default_factory=list, description="extra Ansible groups")
    ip_forwarding: bool = Field(False, description="host routes traffic (keeps ip_forward on)")
    lab_kind: Literal["container", "vm"] = Field(
        "container", description="lab only: vm for hosts that prove real-kernel controls"
    )
    volume_type: str | None = Field(None, description="override of the level's volume type (openstack:)")


class QuotaSpec(Strict):
    quota_class: str = Field(alias="class")
    headroom_percent: int = Field(25, ge=0, le=500)


class System(Strict):
    id: DnsLabel
    name_vi: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    level: int = Field(ge=1, le=5)
    slot: int = Field(ge=0, description="the system's block in address_plan.tenants")
    zones: list[Zone] = Field(min_length=1)
    subnets: dict[Zone, IPv4Network] = Field(default_factory=dict, description="explicit overrides")
    vm_groups: list[VmGroup] = Field(default_factory=list)
    quota: QuotaSpec
    admin_group: str = Field(min_length=1)
    network_layout: Literal["per_zone", "shared"] = Field(
        "per_zone", description="shared: one network holds every zone's subnet (small level 1-2 systems)")


class SystemsFile(Strict):
    systems: list[System] = Field(min_length=1)


# ---------------------------------------------------------------- sites.yml


class Uplink(Strict):
    interface: str = Field(pattern=r"^[A-Za-z-]+[0-9/.]+$")
    routing: Literal["static", "ospf"] = "static"
    ospf_area: int = Field(0, ge=0)


class Site(Strict):
    id: SiteId
    name: str = Field(min_length=1)
    gso_code: GsoCode | None = None
    name_source: Literal["gso", "generated"] = Field(
        "gso", description="generated: placeholder name and no GSO code (real list not at hand)"
    )
    tier: Tier
    parent: SiteId | None = None
    slot: int = Field(ge=0, description="position under the parent; fixes the site's addresses")
    platform: Platform = "cisco_ios"
    mgmt_ip: IPv4Address | None = Field(None, description="override of the derived address")
    uplink: Uplink | None = None
    vlans: list[str] | None = Field(None, description="agency keys; default from the tier")


class SitesFile(Strict):
    sites: list[Site] = Field(min_length=1)
