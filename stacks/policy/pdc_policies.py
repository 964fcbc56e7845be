"""The tenant policies by security level, as plain CrossGuard policy objects.

`__main__.py` serves them as a policy pack to `pulumi preview --policy-pack stacks/policy`;
`pdc plan` calls the same objects on the resources it captured with mocks. The
policies judge what the engine sees (camelCase props, numbers as floats), link
resources through property dependencies (ids are unknown during a preview), and
learn a resource's system, level and zone from the labels the stacks put on it
(pdc.tenant_labels) or from the tenant component above it.

The level from which volumes must be encrypted is the environment's
(openstack.encrypted_from_level, the same value the stacks choose volume types by); the other
level thresholds are the catalog's (PDC-CLD-003 and PDC-CLD-005 min_level). Facts about the cloud come from
config too: which volume types are encrypted and the size of each flavor
(pdc_policies.config_for builds it from an environment).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from pdc.controls import load_catalog
from pdc.tenant_labels import TENANT_TYPE
from pdc.tenant_labels import read as read_labels

MANDATORY = EnforcementLevel.MANDATORY
# the level thresholds are the catalog's: each policy is a control (PDC-CLD-*), its min_level the rule's
SEPARATE_FROM_LEVEL = load_catalog().by_id["PDC-CLD-003"].min_level
ANTI_AFFINITY_FROM_LEVEL = load_catalog().by_id["PDC-CLD-005"].min_level
ADMIN_PORTS = {22: "SSH", 3389: "RDP", 5432: "PostgreSQL", 3306: "MySQL/MariaDB", 1433: "SQL Server",
               1521: "Oracle", 27017: "MongoDB", 6379: "Redis"}
ANYWHERE = {"0.0.0.0/0", "::/0"}
DEFAULT_SG, DEFAULT_SG_RULES = 1, 4  # Neutron's "default" group in every project

T_PROJECT = "openstack:identity/project:Project"
T_RULE = "openstack:networking/secGroupRule:SecGroupRule"
T_SECGROUP = "openstack:networking/secGroup:SecGroup"
T_FIP = "openstack:networking/floatingIp:FloatingIp"
T_PORT = "openstack:networking/port:Port"
T_SUBNET = "openstack:networking/subnet:Subnet"
T_NETWORK = "openstack:networking/network:Network"
T_ROUTER = "openstack:networking/router:Router"
T_ROUTER_IF = "openstack:networking/routerInterface:RouterInterface"
T_VOLUME = "openstack:blockstorage/volume:Volume"
T_INSTANCE = "openstack:compute/instance:Instance"
T_SERVER_GROUP = "openstack:compute/serverGroup:ServerGroup"
T_KEYPAIR = "openstack:compute/keypair:Keypair"
T_QUOTA_COMPUTE = "openstack:compute/quotaSetV2:QuotaSetV2"
T_QUOTA_NETWORK = "openstack:networking/quotaV2:QuotaV2"
T_QUOTA_VOLUME = "openstack:blockstorage/quoteSetV3:QuoteSetV3"  # sic: the provider's spelling


# ------------------------------------------------------------------ helpers


def _tenant(resource) -> str | None:
    """The system a resource belongs to: its labels, else the tenant component above it."""
    system = read_labels(resource.props).get("system")
    if system:
        return system
    node = resource.parent
    while node is not None:
        if node.resource_type == TENANT_TYPE:
            return node.name
        node = node.parent
    return None


def _dep(resource, prop: str, rtype: str | None = None) -> list:
    return [d for d in resource.property_dependencies.get(prop, []) if rtype is None or d.resource_type == rtype]


def _zone(resource) -> str | None:
    return read_labels(resource.props).get("zone")


class _Stack:
    """The resources of a stack, grouped by tenant, with each tenant's level."""

    def __init__(self, resources: Iterable):
        self.by_tenant: dict[str, list] = defaultdict(list)
        for r in resources:
            tenant = _tenant(r)
            if tenant:
                self.by_tenant[tenant].append(r)
        self.level: dict[str, int] = {}
        for tenant, items in self.by_tenant.items():
            projects = [r for r in items if r.resource_type == T_PROJECT]
            levels = [int(read_labels(p.props).get("level", 0)) for p in projects]
            self.level[tenant] = max(levels, default=0)

    def of(self, tenant: str, rtype: str) -> list:
        return [r for r in self.by_tenant[tenant] if r.resource_type == rtype]


def _is_set(props, key: str) -> bool:
    """Whether an input is given; an id not known yet during a preview counts as given."""
    try:
        return bool(props.get(key))
    except UnknownValueError:
        return True


def _num(value) -> float | None:
    return None if value is None else float(value)


# ------------------------------------------------------------------ 1. admin ports from anywhere


def _admin_ports_from_anywhere(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != T_RULE:
        return
    p = args.props
    if p.get("direction") != "ingress":
        return
    prefix = p.get("remoteIpPrefix")
    from_anywhere = prefix in ANYWHERE or not (
        prefix or _is_set(p, "remoteGroupId") or _is_set(p, "remoteAddressGroupId"))
    if not from_anywhere or str(p.get("protocol") or "any").lower() not in ("any", "tcp", "udp", "6", "17"):
        return
    low, high = _num(p.get("portRangeMin")), _num(p.get("portRangeMax"))
    low = 1 if low is None else low
    high = 65535 if high is None else high
    exposed = [f"{port} ({what})" for port, what in ADMIN_PORTS.items() if low <= port <= high]
    if exposed:
        report(f"ingress from {prefix or 'any address'} opens {', '.join(exposed)}: administration and "
               "database ports must only be reachable from the management network or the tier in front")


no_admin_ports_from_anywhere = ResourceValidationPolicy(
    name="no-admin-ports-from-anywhere",
    description="No SSH, RDP or database port is open to 0.0.0.0/0 (or to any source).",
    enforcement_level=MANDATORY,
    validate=_admin_ports_from_anywhere,
)


# ------------------------------------------------------------------ 2. db zone not exposed


def _db_zone_not_exposed(args: StackValidationArgs, report: ReportViolation) -> None:
    for r in args.resources:
        if r.resource_type == T_FIP:
            ports = _dep(r, "portId", T_PORT)
            if _zone(r) == "db" or any(_zone(p) == "db" for p in ports):
                report(f"floating IP {r.name} is attached to a db-zone port", r.urn)
        elif r.resource_type == T_ROUTER and _zone(r) == "db" and r.props.get("externalNetworkId"):
            report(f"router {r.name} of the db zone has an external gateway", r.urn)
        elif r.resource_type == T_ROUTER_IF:
            db_legs = [s for s in _dep(r, "subnetId") + _dep(r, "portId") if _zone(s) == "db"]
            gateways = [x for x in _dep(r, "routerId", T_ROUTER) if x.props.get("externalNetworkId")]
            if db_legs and gateways:
                report(f"db-zone {db_legs[0].name} is attached ({r.name}) to router {gateways[0].name}, "
                       "which has an external gateway", r.urn)


db_zone_not_exposed = StackValidationPolicy(
    name="db-zone-not-exposed",
    description="The db zone has no floating IP and sits behind no router with an external gateway.",
    enforcement_level=MANDATORY,
    validate=_db_zone_not_exposed,
)


# ------------------------------------------------------------------ 3. level 3+: separate networks


def _separate_networks(args: StackValidationArgs, report: ReportViolation) -> None:
    stack = _Stack(args.resources)
    for tenant, level in stack.level.items():
        if level < SEPARATE_FROM_LEVEL:
            continue
        zones_on: dict[str, set[str]] = defaultdict(set)
        names: dict[str, object] = {}
        for subnet in stack.of(tenant, T_SUBNET):
            zone = _zone(subnet)
            for net in _dep(subnet, "networkId", T_NETWORK):
                if zone in ("dmz", "app", "db"):
                    zones_on[net.urn].add(zone)
                    names[net.urn] = net
        for urn, zones in zones_on.items():
            if len(zones) > 1:
                report(f"level-{level} system {tenant} puts zones {', '.join(sorted(zones))} on one network "
                       f"({names[urn].name}): dmz, app and db need separate networks", urn)


level3_separate_networks = StackValidationPolicy(
    name="level3-separate-zone-networks",
    description="Systems of level 3 and above keep dmz, app and db on separate networks.",
    enforcement_level=MANDATORY,
    validate=_separate_networks,
)


# ------------------------------------------------------------------ 4. level 3+: encrypted volumes

ENCRYPTED_SCHEMA = PolicyConfigSchema(
    properties={"encryptedVolumeTypes": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "encryptedFromLevel": {"type": "integer", "minimum": 1, "maximum": 5}},
    required=["encryptedVolumeTypes", "encryptedFromLevel"],
)


def _encrypted_volumes(args: StackValidationArgs, report: ReportViolation) -> None:
    config = args.get_config()
    encrypted = set(config.get("encryptedVolumeTypes") or [])
    from_level = int(config["encryptedFromLevel"])  # required by the schema: no silent default
    stack = _Stack(args.resources)
    for tenant, level in stack.level.items():
        if level < from_level:
            continue
        volumes = [(v.name, v.urn, v.props.get("volumeType")) for v in stack.of(tenant, T_VOLUME)]
        for server in stack.of(tenant, T_INSTANCE):  # volumes Nova creates from an image
            for bd in server.props.get("blockDevices") or []:
                if bd.get("destinationType") == "volume" and bd.get("sourceType") in ("image", "blank"):
                    volumes.append((f"{server.name} (block device)", server.urn, bd.get("volumeType")))
        for name, urn, vtype in volumes:
            if vtype not in encrypted:
                report(f"volume {name} of level-{level} system {tenant} uses volume type {vtype or '(default)'}; "
                       f"level {from_level}+ needs an encrypted type ({', '.join(sorted(encrypted))})",
                       urn)


level3_encrypted_volumes = StackValidationPolicy(
    name="level3-encrypted-volumes",
    description="Volumes of systems at the environment's encrypted_from_level and above use an encrypted type.",
    enforcement_level=MANDATORY,
    validate=_encrypted_volumes,
    config_schema=ENCRYPTED_SCHEMA,
)


# ------------------------------------------------------------------ 5. level 4: anti-affinity


def _anti_affinity(args: StackValidationArgs, report: ReportViolation) -> None:
    stack = _Stack(args.resources)
    for tenant, level in stack.level.items():
        if level < ANTI_AFFINITY_FROM_LEVEL:
            continue
        tiers: dict[str, list] = defaultdict(list)
        for server in stack.of(tenant, T_INSTANCE):
            tiers[read_labels(server.props).get("group", server.name)].append(server)
        for tier, servers in sorted(tiers.items()):
            groups = {sg.urn: sg for s in servers for sg in _dep(s, "schedulerHints", T_SERVER_GROUP)}
            anti = [g for g in groups.values() if "anti-affinity" in _policies(g.props.get("policies"))]
            every_member = all(_dep(s, "schedulerHints", T_SERVER_GROUP) for s in servers)
            if len(servers) < 2 or len(groups) != 1 or not anti or not every_member:
                report(f"level-{level} tier {tenant}/{tier} has {len(servers)} instance(s) in "
                       f"{len(anti)} anti-affinity group(s): it needs at least 2 instances, all in one "
                       "anti-affinity server group", servers[0].urn)


def _policies(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


level4_anti_affinity = StackValidationPolicy(
    name="level4-anti-affinity",
    description="Each tier of a level-4 system has at least 2 instances in one anti-affinity server group.",
    enforcement_level=MANDATORY,
    validate=_anti_affinity,
)


# ------------------------------------------------------------------ 6. quotas cover the plan

QUOTA_SCHEMA = PolicyConfigSchema(
    properties={"flavors": {"type": "object", "additionalProperties": {
        "type": "object", "properties": {"vcpus": {"type": "number"}, "ramMb": {"type": "number"}}}}},
    required=["flavors"],
)


def _usage(stack: _Stack, tenant: str, flavors: dict, report: ReportViolation) -> dict[tuple[str, str], float]:
    servers = stack.of(tenant, T_INSTANCE)
    volumes = stack.of(tenant, T_VOLUME)
    subnets = stack.of(tenant, T_SUBNET)
    interfaces = stack.of(tenant, T_ROUTER_IF)
    members: dict[str, int] = defaultdict(int)
    cores = ram = 0.0
    for s in servers:
        flavor = flavors.get(s.props.get("flavorName"))
        if flavor is None:
            report(f"instance {s.name}: flavor {s.props.get('flavorName')!r} is not in the policy config", s.urn)
        else:
            cores += flavor["vcpus"]
            ram += flavor["ramMb"]
        for g in _dep(s, "schedulerHints", T_SERVER_GROUP):
            members[g.urn] += 1
    rules = stack.of(tenant, T_RULE)
    return {
        (T_QUOTA_COMPUTE, "instances"): len(servers),
        (T_QUOTA_COMPUTE, "cores"): cores,
        (T_QUOTA_COMPUTE, "ram"): ram,
        (T_QUOTA_COMPUTE, "keyPairs"): len(stack.of(tenant, T_KEYPAIR)),
        (T_QUOTA_COMPUTE, "serverGroups"): len(stack.of(tenant, T_SERVER_GROUP)),
        (T_QUOTA_COMPUTE, "serverGroupMembers"): max(members.values(), default=0),
        (T_QUOTA_NETWORK, "network"): len(stack.of(tenant, T_NETWORK)),
        (T_QUOTA_NETWORK, "subnet"): len(subnets),
        (T_QUOTA_NETWORK, "port"): len(stack.of(tenant, T_PORT)) + len(interfaces)
        - sum(1 for i in interfaces if _is_set(i.props, "portId"))  # a leg on an existing port adds none
        + sum(1 for s in subnets if s.props.get("enableDhcp", True)),
        (T_QUOTA_NETWORK, "router"): len(stack.of(tenant, T_ROUTER)),
        (T_QUOTA_NETWORK, "floatingip"): len(stack.of(tenant, T_FIP)),
        (T_QUOTA_NETWORK, "securityGroup"): len(stack.of(tenant, T_SECGROUP)) + DEFAULT_SG,
        (T_QUOTA_NETWORK, "securityGroupRule"): len(rules) + DEFAULT_SG_RULES,
        (T_QUOTA_VOLUME, "volumes"): len(volumes),
        (T_QUOTA_VOLUME, "gigabytes"): sum(float(v.props.get("size") or 0) for v in volumes),
    }


def _quotas_cover_plan(args: StackValidationArgs, report: ReportViolation) -> None:
    flavors = args.get_config().get("flavors") or {}
    stack = _Stack(args.resources)
    for tenant in stack.by_tenant:
        quota = {t: (stack.of(tenant, t) or [None])[0] for t in (T_QUOTA_COMPUTE, T_QUOTA_NETWORK, T_QUOTA_VOLUME)}
        for rtype, q in quota.items():
            if q is None:
                report(f"system {tenant} has no {rtype.split(':')[-1]} quota resource: its quotas would be the "
                       "cloud's defaults, not the plan's")
        for (rtype, field), used in _usage(stack, tenant, flavors, report).items():
            q = quota[rtype]
            if q is None:
                continue
            limit = q.props.get(field)
            if limit is None:
                report(f"quota {field} is not set (a provider may send it as 0); {used:g} planned",
                       q.urn)
            elif float(limit) != -1 and float(limit) < used:
                report(f"quota {field}={float(limit):g} is below the {used:g} planned for {tenant}",
                       q.urn)


quotas_cover_plan = StackValidationPolicy(
    name="quotas-cover-plan",
    description="Every quota of a tenant is set and at least the planned usage.",
    enforcement_level=MANDATORY,
    validate=_quotas_cover_plan,
    config_schema=QUOTA_SCHEMA,
)


POLICIES = [no_admin_ports_from_anywhere, db_zone_not_exposed, level3_separate_networks,
            level3_encrypted_volumes, level4_anti_affinity, quotas_cover_plan]


def config_for(env) -> dict[str, dict]:
    """Policy config from an environment: the cloud's encrypted volume types and flavor sizes, and the
    level from which volumes must be encrypted."""
    from pdc.schema import OpenStackSettings

    settings = env.settings.openstack
    encrypted = sorted(n for n, t in settings.volume_types.items() if t.encrypted) if settings else []
    from_level = (settings.encrypted_from_level if settings
                  else OpenStackSettings.model_fields["encrypted_from_level"].default)
    return {
        level3_encrypted_volumes.name: {"encryptedVolumeTypes": encrypted, "encryptedFromLevel": from_level},
        quotas_cover_plan.name: {"flavors": {n: {"vcpus": f.vcpus, "ramMb": f.ram_mb}
                                             for n, f in env.settings.flavors.items()}},
    }
