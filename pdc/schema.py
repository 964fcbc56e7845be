"""The schema of an environment's files (inventories/<env>/*.yml).

Only shape and types live here; cross-references and address checks are in
``pdc.checks``. Every model forbids unknown fields so that a typo is an error
rather than a silently ignored setting.

The environment is untrusted input: every field has a closed type. Free text a
person types is one printable line (:func:`Text`); every value that reaches a
device, a daemon's config or a command line has a closed pattern and bounds;
numbers and booleans are strict, so a YAML ``on``, ``3.0`` or ``"3"`` is never
a level, a slot or a port.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv4Network
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
)
from pydantic import Strict as StrictMode
from pydantic_core import PydanticCustomError

# First host address in a zone subnet; lower ones are gateway, DHCP and VIPs.
HOST_OFFSET = 10

# ---------------------------------------------------------------- closed scalar types

# YAML booleans, floats and quoted numbers are refused wherever a number is meant.
Int = Annotated[int, StrictMode()]


def _one_line(value: str) -> str:
    # str.isprintable() is False for every Unicode category C* (controls, format, NUL),
    # for the line/paragraph separators (Zl, Zp: \u2028 \u2029) and for every space but
    # the ASCII one, so \n \r \v \f \x1c-\x1e \x85 and tabs are all refused here.
    if not value.isprintable():
        bad = next(c for c in value if not c.isprintable())
        raise PydanticCustomError(
            "text_not_one_line", "must be one line of printable text (found {char})", {"char": repr(bad)})
    if value != value.strip():
        raise PydanticCustomError("text_padded", "must not start or end with a space", {})
    return value


def Text(max_length: int, min_length: int = 1) -> Any:  # noqa: N802 - used like a type: `name: Text(200)`
    """One line of printable text typed by a person (names, descriptions), with length bounds."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length),
                     AfterValidator(_one_line)]


def _only_text(value: Any) -> Any:
    # pydantic would turn an integer into an address (10 -> 0.0.0.10): addresses are written as text
    if not isinstance(value, str):
        raise PydanticCustomError("address_not_text", "must be written as text, like 10.20.0.1 or 10.20.0.0/16", {})
    return value


IPv4Net = Annotated[IPv4Network, BeforeValidator(_only_text)]
IPv4Addr = Annotated[IPv4Address, BeforeValidator(_only_text)]


def _pattern(regex: str, max_length: int) -> Any:
    return Annotated[str, StringConstraints(pattern=regex, max_length=max_length)]


# Patterns are matched by pydantic's Rust engine, where `$` is the end of the text
# (Python's `$` would also match before a final newline).
DNS_LABEL = r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$"
SITE_ID = r"^[a-z][a-z0-9-]{0,40}[a-z0-9]$"
GSO_CODE = r"^[0-9]{2,5}$"
ANSIBLE_NAME = r"^[a-z][a-z0-9_]{0,39}$"
AGENCY_NAME = r"^[A-Z0-9_-]{1,32}$"
POSIX_GROUP = r"^[a-z_][a-z0-9_-]{0,31}$"
# An interface as IOS and VRP spell it: a type then slot/card/port numbers.
INTERFACE = r"^[A-Za-z][A-Za-z-]{0,30}[0-9]{1,3}(/[0-9]{1,3}){0,3}$"
# Names of OpenStack objects (flavors, images, volume types, networks, domains, roles).
OPENSTACK_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
QUOTA_CLASS = r"^[a-z][a-z0-9_-]{0,31}$"
DOMAIN = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
VM_GROUP_REF = r"^[a-z][a-z0-9-]{0,31}/[a-z][a-z0-9-]{0,31}$"
# scheme, host (name or IPv4), optional port, path; no query, spaces, quotes or line breaks
MIRROR_URL = r"^https?://[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:[0-9]{1,5})?(/[A-Za-z0-9._~%+/-]*)?$"
IPV4_CIDR = r"^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$"
ZONE_REF = r"^[a-z][a-z0-9-]{0,31}/(dmz|app|db|mgmt)$"
SWITCH_MODEL = r"^[A-Z0-9][A-Z0-9-]{1,31}$"  # a name from pdc.wan.profiles.MODELS (checked there)

DnsLabel = _pattern(DNS_LABEL, 32)
SiteId = _pattern(SITE_ID, 42)  # ASCII only: site ids become hostnames and file names
GsoCode = _pattern(GSO_CODE, 5)
SwitchModel = _pattern(SWITCH_MODEL, 32)
AnsibleName = _pattern(ANSIBLE_NAME, 40)  # ansible-lint's role-name rule
AgencyName = _pattern(AGENCY_NAME, 32)
PosixGroup = _pattern(POSIX_GROUP, 32)  # becomes sshd's AllowGroups and a sudoers line
InterfaceName = _pattern(INTERFACE, 40)
OpenStackName = _pattern(OPENSTACK_NAME, 64)
QuotaClassName = _pattern(QUOTA_CLASS, 32)
DomainName = _pattern(DOMAIN, 253)
VmGroupRef = _pattern(VM_GROUP_REF, 65)
VlanId = Annotated[int, StrictMode(), Field(ge=1, le=4094)]
Port = Annotated[int, StrictMode(), Field(ge=1, le=65535)]
# OSPF areas are 32-bit numbers (IOS prints them as integers, VRP as dotted quads).
OspfArea = Annotated[int, StrictMode(), Field(ge=0, le=2**32 - 1)]


def _mirror_port(value: str) -> str:
    host = value.split("://", 1)[1].split("/", 1)[0]
    if ":" in host and not 1 <= int(host.rsplit(":", 1)[1]) <= 65535:
        raise PydanticCustomError("url_port", "port must be 1-65535", {})
    return value


# Free text of people: names (systems, owners, sites) and descriptions.
Name = Text(200)
Description = Text(300)

MirrorUrl = Annotated[str, StringConstraints(pattern=MIRROR_URL, max_length=2048),
                      AfterValidator(_mirror_port)]


def _management_source(value: str) -> str:
    if ":" in value:
        raise PydanticCustomError(
            "ipv6_refused", "IPv6 is not supported here: the switches' VTY ACLs and the hosts' "
            "firewall sets are IPv4 only; give an IPv4 CIDR or a system/zone", {})
    if len(value) <= 18 and _IPV4_CIDR.fullmatch(value):
        try:
            IPv4Network(value)
        except ValueError as exc:
            raise PydanticCustomError("cidr", "not an IPv4 network: {why}", {"why": str(exc)}) from None
        return value
    if len(value) <= 40 and _ZONE_REF.fullmatch(value):
        return value
    raise PydanticCustomError(
        "management_source", "must be an IPv4 CIDR (10.99.0.0/30) or a system/zone reference (infra/mgmt)", {})


ManagementSource = Annotated[str, StringConstraints(max_length=50), AfterValidator(_management_source)]

# Who may reach a service: a named network of the model, a zone of the server's own system
# (`own:front` is the tier in front of it: the DMZ for app, app else the DMZ for db), a
# system/zone, or an IPv4 CIDR.
FLOW_KEYWORDS = ("anywhere", "tenants", "wan_management", "management")
OWN_ZONE = r"^own:(dmz|app|db|mgmt|front)$"


def _flow_source(value: str) -> str:
    if value in FLOW_KEYWORDS or (len(value) <= 10 and _OWN_ZONE.fullmatch(value)):
        return value
    if value.startswith("own:"):
        raise PydanticCustomError("flow_source", "own: takes a zone (dmz, app, db, mgmt) or front", {})
    try:
        return _management_source(value)
    except PydanticCustomError as exc:
        if exc.type != "management_source":  # IPv6, host bits: that message is the precise one
            raise
        raise PydanticCustomError(
            "flow_source", "must be one of {keywords}, own:<zone> (own:front, own:app, ...), a system/zone "
            "reference or an IPv4 CIDR", {"keywords": ", ".join(FLOW_KEYWORDS)}) from None


FlowSource = Annotated[str, StringConstraints(max_length=50), AfterValidator(_flow_source)]

Zone = Literal["dmz", "app", "db", "mgmt"]
Tier = Literal["dc", "district", "commune"]
Platform = Literal["cisco_ios", "huawei_vrp"]

# What each pattern means, for error messages people can act on.
PATTERN_HELP = {
    DNS_LABEL: "must be a DNS label: lowercase ASCII letters, digits and '-', starting with a letter, at most 32",
    SITE_ID: "must be lowercase ASCII letters, digits and '-', starting with a letter (no diacritics)",
    ANSIBLE_NAME: "must be lowercase ASCII letters, digits and '_', starting with a letter",
    GSO_CODE: "must be a GSO code of 2 to 5 digits",
    AGENCY_NAME: "must be 1-32 uppercase ASCII letters, digits, '_' or '-'",
    POSIX_GROUP: "must be a POSIX group name: lowercase ASCII letters, digits, '_' and '-', at most 32",
    INTERFACE: "must be an interface name like GigabitEthernet0/1",
    OPENSTACK_NAME: "must be 1-64 ASCII letters, digits, '.', '_' or '-'",
    QUOTA_CLASS: "must be lowercase ASCII letters, digits, '_' and '-', starting with a letter",
    DOMAIN: "must be a DNS domain name in lowercase ASCII, like haiduong.gov.vn",
    VM_GROUP_REF: "must be a system/vm-group reference like infra/svc",
    MIRROR_URL: "must be an http(s) URL: scheme, host, optional port and path (no spaces, quotes, "
                "query or line breaks)",
}

_IPV4_CIDR = re.compile(IPV4_CIDR)
_ZONE_REF = re.compile(ZONE_REF)
_OWN_ZONE = re.compile(OWN_ZONE)

# Fixed order: a zone's subnet is its position in the system's block.
ZONES: tuple[Zone, ...] = ("dmz", "app", "db", "mgmt")
DATABASE_ROLES = frozenset({"postgresql"})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- environment.yml


class AddressPlan(Strict):
    """Supernets per purpose; every address is derived from these and a slot."""

    tenants: IPv4Net = Field(description="zone subnets of every system")
    system_prefix: Int = Field(22, ge=8, le=28, description="size of one system's block")
    zone_prefix: Int = Field(24, ge=16, le=29)
    floating: IPv4Net = Field(description="external network of floating IPs")
    wan_management: IPv4Net = Field(description="switch management addresses")
    wan_sites: IPv4Net = Field(description="agency VLAN subnets, one block per site")
    site_prefix: Int = Field(24, ge=16, le=28)
    agency_prefix: Int = Field(27, ge=20, le=30)
    wan_links: IPv4Net = Field(description="uplink /30s, one per site")
    communes_per_district: Int = Field(
        64, ge=2, le=256, description="address blocks kept for the communes of one district"
    )


class AgencyVlan(Strict):
    key: DnsLabel
    vlan: VlanId
    name: AgencyName
    description: Description  # every switch's VLAN and port descriptions


class VlanPlan(Strict):
    management: VlanId
    agencies: list[AgencyVlan] = Field(min_length=1, max_length=64)
    tier_defaults: dict[Tier, list[DnsLabel]] = Field(
        default_factory=dict, description="agency keys a site of that tier gets when it lists none"
    )


class Endpoint(Strict):
    """Where something runs: either a VM group of the environment or literal addresses."""

    group: VmGroupRef | None = None
    addresses: list[IPv4Addr] = Field(default_factory=list, max_length=16)


class PackageMirror(Strict):
    debian: MirrorUrl
    security: MirrorUrl


class SharedServices(Strict):
    domain: DomainName
    bastion: Endpoint
    management: list[ManagementSource] = Field(
        min_length=1, max_length=64, description="management CIDRs (IPv4), or system/zone references"
    )
    package_mirror: PackageMirror


class QuotaClass(Strict):
    floating_ips: Int = Field(ge=0, le=10_000)
    security_groups: Int = Field(ge=1, le=10_000)
    security_group_rules: Int = Field(ge=1, le=100_000)
    routers: Int = Field(ge=0, le=1_000)
    snapshots: Int = Field(ge=0, le=100_000)


class Flavor(Strict):
    vcpus: Int = Field(ge=1, le=1024)
    ram_mb: Int = Field(ge=256, le=16 * 1024 * 1024)


class LabSettings(Strict):
    """How the embedded lab maps this environment onto one machine."""

    gateway_network: IPv4Net | None = Field(
        None,
        description="the link from this machine (the lab's controller and package proxy) to the lab core;"
        " must be inside shared_services.management"
    )


class VolumeType(Strict):
    encrypted: StrictBool = Field(description="true when the cloud encrypts this type's volumes (LUKS via Barbican)")


class OpenStackSettings(Strict):
    """What the tenant stacks need to know about the cloud itself (stacks/)."""

    external_network: OpenStackName = Field(description="provider network for router gateways and floating IPs")
    domain: OpenStackName = Field("default", description="Keystone domain of the projects and admin groups")
    admin_group_role: OpenStackName = Field("member", description="role a system's admin group gets")
    volume_types: dict[OpenStackName, VolumeType] = Field(
        min_length=1, max_length=64, description="the cloud's volume types")
    default_volume_type: OpenStackName = Field(description="volumes of systems below encrypted_from_level")
    encrypted_volume_type: OpenStackName = Field(description="volumes of systems at encrypted_from_level+")
    encrypted_from_level: Int = Field(3, ge=1, le=5)


class ServedBy(Strict):
    """Who serves a service; the parts add up (every host and the WAN devices, say)."""

    groups: list[VmGroupRef] = Field(default_factory=list, max_length=32, description="system/vm-group")
    roles: list[AnsibleName] = Field(default_factory=list, max_length=32, description="every host with the role")
    zones: list[Zone] = Field(default_factory=list, max_length=4, description="every host in that zone")
    addresses: list[IPv4Addr] = Field(default_factory=list, max_length=16, description="outside the model")
    all_hosts: StrictBool = Field(False, description="every host of the environment")
    wan_devices: StrictBool = Field(False, description="every WAN switch, on its management address")


class Service(Strict):
    """One service: what it speaks, who serves it and who may reach it (pdc.flows derives the rest)."""

    protocols: list[Literal["tcp", "udp"]] = Field(min_length=1, max_length=2)
    ports: list[Port] = Field(min_length=1, max_length=32)
    served_by: ServedBy
    reachable_from: list[FlowSource] = Field(min_length=1, max_length=64)
    description: Description | None = None


class Services(Strict):
    """The services every engine renders from; the names are the ones people know."""

    ssh: Service
    syslog: Service
    ntp: Service
    dns: Service
    https: Service
    app: Service
    postgresql: Service
    snmp: Service


class WaiverPolicy(Strict):
    """Rules for inventories/<env>/waivers.yml (see pdc.audit.waivers)."""

    max_days: Int = Field(365, ge=1, le=1095, description="longest a waiver may run, counted from today")


class EnvironmentFile(Strict):
    name: DnsLabel
    description: Description
    address_plan: AddressPlan
    vlan_plan: VlanPlan
    shared_services: SharedServices
    services: Services
    quota_classes: dict[QuotaClassName, QuotaClass] = Field(min_length=1, max_length=64)
    flavors: dict[OpenStackName, Flavor] = Field(min_length=1, max_length=256)
    lab: LabSettings | None = None
    openstack: OpenStackSettings | None = Field(None, description="needed by `pdc plan` and the stacks")
    waivers: WaiverPolicy = Field(default_factory=WaiverPolicy)


# ---------------------------------------------------------------- systems.yml


class VmGroup(Strict):
    name: DnsLabel
    count: Int = Field(ge=1, le=64)
    flavor: OpenStackName
    image: OpenStackName
    os: Literal["debian12", "debian13"]
    boot_volume_gb: Int = Field(ge=1, le=2048)
    data_volume_gb: Int = Field(0, ge=0, le=65536)
    zone: Zone
    roles: list[AnsibleName] = Field(default_factory=list, max_length=64, description="Ansible roles to apply")
    groups: list[AnsibleName] = Field(default_factory=list, max_length=64, description="extra Ansible groups")
    ip_forwarding: StrictBool = Field(False, description="host routes traffic (keeps ip_forward on)")
    lab_kind: Literal["container", "vm"] = Field(
        "container", description="lab only: vm for hosts that prove real-kernel controls"
    )
    volume_type: OpenStackName | None = Field(None, description="override of the level's volume type (openstack:)")


class QuotaSpec(Strict):
    quota_class: QuotaClassName = Field(alias="class")
    headroom_percent: Int = Field(25, ge=0, le=500)


class System(Strict):
    id: DnsLabel
    name_vi: Name
    name_en: Name
    owner: Name
    level: Int = Field(ge=1, le=5)
    slot: Int = Field(ge=0, le=65535, description="the system's block in address_plan.tenants")
    zones: list[Zone] = Field(min_length=1, max_length=4)
    subnets: dict[Zone, IPv4Net] = Field(default_factory=dict, description="explicit overrides")
    vm_groups: list[VmGroup] = Field(default_factory=list, max_length=64)
    quota: QuotaSpec
    admin_group: PosixGroup
    network_layout: Literal["per_zone", "shared"] = Field(
        "per_zone", description="shared: one network holds every zone's subnet (small level 1-2 systems)")


class SystemsFile(Strict):
    systems: list[System] = Field(min_length=1, max_length=4096)


# ---------------------------------------------------------------- sites.yml


class Uplink(Strict):
    interface: InterfaceName
    routing: Literal["static", "ospf"] = "static"
    ospf_area: OspfArea = 0


class Site(Strict):
    id: SiteId
    name: Name  # becomes the switch's SNMP location
    gso_code: GsoCode | None = None
    name_source: Literal["gso", "generated"] = Field(
        "gso", description="generated: placeholder name and no GSO code (real list not at hand)"
    )
    tier: Tier
    parent: SiteId | None = None
    slot: Int = Field(ge=0, le=65535, description="position under the parent; fixes the site's addresses")
    platform: Platform = "cisco_ios"
    model: SwitchModel | None = Field(None, description="the switch model, when not the tier's standard one")
    mgmt_ip: IPv4Addr | None = Field(None, description="override of the derived address")
    uplink: Uplink | None = None
    vlans: list[DnsLabel] | None = Field(None, max_length=64, description="agency keys; default from the tier")


class SitesFile(Strict):
    sites: list[Site] = Field(min_length=1, max_length=100_000)
