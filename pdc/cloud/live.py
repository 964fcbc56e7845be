"""Read what a cloud holds for an environment's tenants, in the plan's own shape.

Each live resource becomes a ``Captured`` record like the ones `pdc plan` captures from the mocks:
the same resource types, camelCase inputs (``remoteIpPrefix``, ``externalNetworkId``), references as
ids with their property dependencies linked, and a tenant component per system above it. So the
drift check compares like with like, and the CrossGuard policies of stacks/policy run on live
resources unchanged.

Read: Keystone (projects, role assignments, role, group and user names) and Neutron (networks,
subnets and their host routes, security groups and rules, routers with their gateway, interfaces
and routes, ports, floating IPs, each pdc project's network quota). Not read: Nova and Cinder
(instances, volumes, keypairs, server groups, compute and volume quotas).

A tenant is a project of a planned system (by name) or any project tagged ``pdc-system=...``;
a Neutron resource tagged ``pdc-system=...`` in another project counts under that system too.
Neutron's own ``default`` security group of each project is not pdc's and is left out.

Every value the cloud answers is untrusted: only strings, numbers, booleans and lists of them are
kept, each checked for its type.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pdc.pulumi_mocks import Captured
from pdc.tenant_labels import TENANT_TYPE
from pdc.tenant_labels import read as read_labels

P = "openstack:"
T_PROJECT = P + "identity/project:Project"
T_ROLE_ASSIGNMENT = P + "identity/roleAssignment:RoleAssignment"
T_QUOTA_NETWORK = P + "networking/quotaV2:QuotaV2"
T_NETWORK = P + "networking/network:Network"
T_SUBNET = P + "networking/subnet:Subnet"
T_SECGROUP = P + "networking/secGroup:SecGroup"
T_RULE = P + "networking/secGroupRule:SecGroupRule"
T_ROUTER = P + "networking/router:Router"
T_PORT = P + "networking/port:Port"
T_ROUTER_IF = P + "networking/routerInterface:RouterInterface"
T_ROUTER_ROUTE = P + "networking/routerRoute:RouterRoute"
T_SUBNET_ROUTE = P + "networking/subnetRoute:SubnetRoute"
T_FIP = P + "networking/floatingIp:FloatingIp"
READ_TYPES = (T_PROJECT, T_ROLE_ASSIGNMENT, T_QUOTA_NETWORK, T_NETWORK, T_SUBNET, T_SECGROUP, T_RULE, T_ROUTER,
              T_PORT, T_ROUTER_IF, T_ROUTER_ROUTE, T_SUBNET_ROUTE, T_FIP)
NOT_READ = "compute and block storage (Nova, Cinder): instances, volumes, keypairs, server groups, their quotas"
# Neutron's quota names -> the plan's (pulumi-openstack QuotaV2 inputs)
NETWORK_QUOTA = {"networks": "network", "subnets": "subnet", "ports": "port", "routers": "router",
                 "floating_ips": "floatingip", "security_groups": "securityGroup",
                 "security_group_rules": "securityGroupRule", "rbac_policies": "rbacPolicy",
                 "subnet_pools": "subnetpool"}
REFS = ("networkId", "subnetId", "portId", "routerId", "securityGroupId", "remoteGroupId", "projectId",
        "tenantId", "externalNetworkId")
DEFAULT_GROUP = "default"


class BadAnswer(ValueError):
    """A value of the cloud's answer has the wrong type."""


def _str(d: dict, key: str, required: bool = False) -> str | None:
    value = d.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) > 1024:
        raise BadAnswer(f"{key}: expected a string, got {type(value).__name__}")
    return value


def _int(d: dict, key: str) -> int | None:
    value = d.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadAnswer(f"{key}: expected an integer, got {type(value).__name__}")
    return value


def _bool(d: dict, key: str) -> bool | None:
    value = d.get(key)
    if value is not None and not isinstance(value, bool):
        raise BadAnswer(f"{key}: expected true or false, got {type(value).__name__}")
    return value


def _strs(d: dict, key: str) -> list[str]:
    value = d.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadAnswer(f"{key}: expected a list of strings")
    return list(value)


def _dicts(d: dict, key: str) -> list[dict]:
    value = d.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BadAnswer(f"{key}: expected a list of mappings")
    return list(value)


@dataclass
class Live:
    """One read of the cloud: the records, names of what they refer to outside pdc, and tenants."""

    resources: list[Captured]
    names: dict[str, str] = field(default_factory=dict)  # id -> name (roles, groups, users, networks)
    tenants: dict[str, str] = field(default_factory=dict)  # project id -> system
    external_networks: dict[str, str] = field(default_factory=dict)


class _Builder:
    def __init__(self):
        self.out: list[Captured] = []
        self.tenant_urns: dict[str, str] = {}

    def tenant(self, system: str) -> str:
        if system not in self.tenant_urns:
            urn = f"live::{TENANT_TYPE}::{system}"
            self.tenant_urns[system] = urn
            self.out.append(Captured(urn, TENANT_TYPE, system, False, {"system": system}, f"tenant-{system}",
                                     None, None))
        return self.tenant_urns[system]

    def add(self, rtype: str, name: str, rid: str, inputs: dict, system: str) -> Captured:
        item = Captured(f"live::{rtype}::{rid}", rtype, name, True, {k: v for k, v in inputs.items()
                                                                       if v is not None},
                        rid, self.tenant(system), None)
        self.out.append(item)
        return item


def _dump(resource) -> dict:
    data = resource.to_dict(computed=False) if hasattr(resource, "to_dict") else resource
    if not isinstance(data, dict):
        raise BadAnswer(f"expected a mapping, got {type(data).__name__}")
    return data


def read(conn, planned_systems: set[str]) -> Live:
    """Everything pdc owns in the cloud, as plan-shaped records (the calls are all reads)."""
    ident, net = conn.identity, conn.network
    b = _Builder()
    live = Live(b.out)
    projects = [_dump(p) for p in ident.projects()]
    for p in projects:
        pid, name = _str(p, "id", True), _str(p, "name", True)
        system = read_labels({"tags": _strs(p, "tags")}).get("system")
        if system is None and name in planned_systems:
            system = name
        if system is None:
            continue
        live.tenants[pid] = system
        b.add(T_PROJECT, name, pid, {"name": name, "description": _str(p, "description"),
                                     "enabled": _bool(p, "is_enabled"), "tags": sorted(_strs(p, "tags")),
                                     "domainId": _str(p, "domain_id")}, system)
    for lister in (ident.roles, ident.groups, ident.users):
        for item in lister():
            d = _dump(item)
            live.names[_str(d, "id", True)] = _str(d, "name", True)
    for a in ident.role_assignments():
        d = _dump(a)
        scope = d.get("scope") or {}
        project = (scope.get("project") or {}).get("id") if isinstance(scope, dict) else None
        if project not in live.tenants:
            continue
        role = (d.get("role") or {}).get("id")
        user, group = (d.get("user") or {}).get("id"), (d.get("group") or {}).get("id")
        who = f"group {live.names.get(group, group)}" if group else f"user {live.names.get(user, user)}"
        rid = f"{project}/{role}/{group or user}"
        b.add(T_ROLE_ASSIGNMENT, f"{live.names.get(role, role)} for {who}", rid,
              {"projectId": project, "roleId": role, "groupId": group, "userId": user}, live.tenants[project])

    def owner(d: dict) -> str | None:
        """The system a Neutron resource counts under: its pdc tag, else its project's."""
        tagged = read_labels({"tags": _strs(d, "tags")}).get("system")
        return tagged or live.tenants.get(_str(d, "project_id") or _str(d, "tenant_id") or "")

    networks = [_dump(n) for n in net.networks()]
    for n in networks:
        nid, name = _str(n, "id", True), _str(n, "name") or ""
        live.names[nid] = name
        if _bool(n, "is_router_external"):
            live.external_networks[nid] = name
        system = owner(n)
        if system:
            b.add(T_NETWORK, name, nid, {"name": name, "description": _str(n, "description"),
                                         "tags": sorted(_strs(n, "tags")), "tenantId": _str(n, "project_id"),
                                         "adminStateUp": _bool(n, "is_admin_state_up")}, system)
    for s in (_dump(x) for x in net.subnets()):
        system = owner(s)
        sid, name = _str(s, "id", True), _str(s, "name") or ""
        live.names[sid] = name
        if not system:
            continue
        pools = [{"start": _str(p, "start"), "end": _str(p, "end")} for p in _dicts(s, "allocation_pools")]
        b.add(T_SUBNET, name, sid, {
            "name": name, "networkId": _str(s, "network_id"), "cidr": _str(s, "cidr"),
            "gatewayIp": _str(s, "gateway_ip"), "allocationPools": pools,
            "dnsNameservers": _strs(s, "dns_nameservers"), "enableDhcp": _bool(s, "is_dhcp_enabled"),
            "ipVersion": _int(s, "ip_version"), "tags": sorted(_strs(s, "tags")), "tenantId": _str(s, "project_id")},
            system)
        for route in _dicts(s, "host_routes"):
            dest, hop = _str(route, "destination"), _str(route, "nexthop")
            b.add(T_SUBNET_ROUTE, f"{name} to {dest}", f"{sid}/route/{dest}",
                  {"subnetId": sid, "destinationCidr": dest, "nextHop": hop}, system)
    default_groups = set()
    for g in (_dump(x) for x in net.security_groups()):
        gid, name = _str(g, "id", True), _str(g, "name") or ""
        live.names[gid] = name
        system = owner(g)
        if name == DEFAULT_GROUP and not read_labels({"tags": _strs(g, "tags")}):
            default_groups.add(gid)
            continue
        if system:
            b.add(T_SECGROUP, name, gid, {"name": name, "description": _str(g, "description"),
                                          "tags": sorted(_strs(g, "tags")), "tenantId": _str(g, "project_id")},
                  system)
    group_system = {r.id: r.parent for r in b.out if r.type == T_SECGROUP}
    for r in (_dump(x) for x in net.security_group_rules()):
        gid = _str(r, "security_group_id", True)
        if gid in default_groups or gid not in group_system:
            continue
        system = group_system[gid].rsplit("::", 1)[-1]
        b.add(T_RULE, f"{live.names.get(gid, gid)} rule", _str(r, "id", True), {
            "direction": _str(r, "direction"), "ethertype": _str(r, "ether_type"), "protocol": _str(r, "protocol"),
            "portRangeMin": _int(r, "port_range_min"), "portRangeMax": _int(r, "port_range_max"),
            "remoteIpPrefix": _str(r, "remote_ip_prefix"), "remoteGroupId": _str(r, "remote_group_id"),
            "remoteAddressGroupId": _str(r, "remote_address_group_id"), "securityGroupId": gid,
            "description": _str(r, "description"), "tenantId": _str(r, "project_id")}, system)
    for r in (_dump(x) for x in net.routers()):
        rid, name = _str(r, "id", True), _str(r, "name") or ""
        live.names[rid] = name
        system = owner(r)
        if not system:
            continue
        gateway = r.get("external_gateway_info") or {}
        if not isinstance(gateway, dict):
            raise BadAnswer("external_gateway_info: expected a mapping")
        b.add(T_ROUTER, name, rid, {"name": name, "description": _str(r, "description"),
                                    "tags": sorted(_strs(r, "tags")), "tenantId": _str(r, "project_id"),
                                    "externalNetworkId": _str(gateway, "network_id"),
                                    "adminStateUp": _bool(r, "is_admin_state_up")}, system)
        for route in _dicts(r, "routes"):
            dest, hop = _str(route, "destination"), _str(route, "nexthop")
            b.add(T_ROUTER_ROUTE, f"{name} to {dest}", f"{rid}/route/{dest}",
                  {"routerId": rid, "destinationCidr": dest, "nextHop": hop}, system)
    for p in (_dump(x) for x in net.ports()):
        pid, name = _str(p, "id", True), _str(p, "name") or ""
        live.names[pid] = name
        system = owner(p)
        if not system:
            continue
        device_owner = _str(p, "device_owner") or ""
        fixed = [{"subnetId": _str(f, "subnet_id"), "ipAddress": _str(f, "ip_address")}
                 for f in _dicts(p, "fixed_ips")]
        if device_owner.startswith("network:router_interface"):
            router = _str(p, "device_id")
            leg = {"routerId": router, "portId": pid} if name else \
                {"routerId": router, "subnetId": fixed[0]["subnetId"] if fixed else None}
            b.add(T_ROUTER_IF, f"{live.names.get(router, router)} leg {name or pid}", f"{pid}/leg", leg, system)
        if device_owner.startswith("network:") and not name:
            continue  # Neutron's own ports (DHCP, gateways, interfaces on a subnet, floating IPs)
        b.add(T_PORT, name, pid, {
            "name": name, "description": _str(p, "description"), "networkId": _str(p, "network_id"),
            "fixedIps": fixed, "securityGroupIds": sorted(_strs(p, "security_group_ids")),
            "tags": sorted(_strs(p, "tags")), "tenantId": _str(p, "project_id"),
            "adminStateUp": _bool(p, "is_admin_state_up")}, system)
    for f in (_dump(x) for x in net.ips()):
        fid = _str(f, "id", True)
        system = owner(f)
        if not system:
            continue
        address = _str(f, "floating_ip_address") or fid
        b.add(T_FIP, address, fid, {
            "portId": _str(f, "port_id"), "pool": live.external_networks.get(_str(f, "floating_network_id") or "",
                                                                             _str(f, "floating_network_id")),
            "address": address, "description": _str(f, "description"), "tags": sorted(_strs(f, "tags")),
            "tenantId": _str(f, "project_id")}, system)
    for project, system in live.tenants.items():
        q = _dump(net.get_quota(project))
        values = {plan_key: _int(q, key) for key, plan_key in NETWORK_QUOTA.items()}
        b.add(T_QUOTA_NETWORK, f"{system}-network", f"{project}/quota", {"projectId": project, **values}, system)
    _link(b.out)
    return live


def _link(resources: list[Captured]) -> None:
    """Property dependencies from the ids in each record's inputs, as the engine links them."""
    by_id = {r.id: r.urn for r in resources if r.custom}
    for r in resources:
        for key in REFS:
            value = r.inputs.get(key)
            if isinstance(value, str) and value in by_id:
                r.property_dependencies[key] = [by_id[value]]
                r.dependencies.append(by_id[value])
        for key in ("securityGroupIds",):
            refs = [by_id[v] for v in r.inputs.get(key, []) if v in by_id]
            if refs:
                r.property_dependencies[key] = refs
