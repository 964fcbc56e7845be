"""The lab's stand-in for `pulumi up`: create in the lab cloud what the plan declares.

`pulumi up` cannot run here (no engine, no provider plugin), so the lab fills its own cloud
from the same plan `pdc plan` makes (the tenant program run with mocks): the planned resources
of the services the lab cloud runs (Keystone and Neutron), created through openstacksdk, in
dependency order, each planned id mapped to the real one. Compute and block-storage resources
(instances, volumes, keypairs, server groups, their quotas) are skipped: no Nova or Cinder here.

Also created, as a real cloud would already hold them, the objects the program looks up: the
external network (``openstack.external_network``) with a subnet, the admin groups. The deployer
user comes from the cloud's template (pdc.lab.cloud.services).

Idempotent: what exists (by name in its project) is reused, so a second run creates nothing and
a run after a deletion recreates what is missing. This is lab code: never a product command.

Speed: each tenant's resources go in dependency order, and a few tenants at once (``WORKERS``
threads on one connection) when no tenant's plan names another's resource; a new security group's
default rules come from its create answer;
a router or port this run created is not searched for legs or floating IPs.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from pdc.cloud.live import NETWORK_QUOTA as NEUTRON_QUOTA
from pdc.cloud.live import (
    READ_TYPES,
    T_FIP,
    T_NETWORK,
    T_PORT,
    T_PROJECT,
    T_QUOTA_NETWORK,
    T_ROLE_ASSIGNMENT,
    T_ROUTER,
    T_ROUTER_IF,
    T_ROUTER_ROUTE,
    T_RULE,
    T_SECGROUP,
    T_SUBNET,
    T_SUBNET_ROUTE,
    P,
)
from pdc.environment import Environment
from pdc.lab.errors import LabError
from pdc.plan import Plan
from pdc.pulumi_mocks import Captured

# the resource types the live audit reads are the ones the lab creates; Neutron's quota names by the plan's
HANDLED = READ_TYPES
NETWORK_QUOTA = {plan: neutron for neutron, plan in NEUTRON_QUOTA.items()}
# the lab's external network: documentation addresses (RFC 5737), never configured on any interface
EXTERNAL_CIDR = "203.0.113.0/24"
# tenants provisioned at once: the lab's services run one worker each, so more threads only queue;
# a few overlap this side's work (openstacksdk, JSON) with the services'
WORKERS = 3
STEPS = (T_PROJECT, T_ROLE_ASSIGNMENT, T_QUOTA_NETWORK, T_NETWORK, T_SUBNET, T_SECGROUP, T_RULE, T_ROUTER, T_PORT,
         T_ROUTER_IF)


def _int(value):
    return int(value) if isinstance(value, float) and value.is_integer() else value


@dataclass
class _Rule:
    """A rule from a security group's create answer (the API's names), compared as listed rules are."""

    id: str
    direction: str | None
    ether_type: str | None
    protocol: str | None
    port_range_min: int | None
    port_range_max: int | None
    remote_ip_prefix: str | None
    remote_group_id: str | None

    @classmethod
    def of(cls, d: dict) -> _Rule:
        return cls(d["id"], d.get("direction"), d.get("ethertype"), d.get("protocol"), d.get("port_range_min"),
                   d.get("port_range_max"), d.get("remote_ip_prefix"), d.get("remote_group_id"))


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


class Provisioner:
    def __init__(self, conn, env: Environment):
        self.conn = conn
        self.env = env
        self.ids: dict[str, str] = {}  # planned id -> real id
        self.created: dict[str, int] = defaultdict(int)
        self.skipped: dict[str, int] = defaultdict(int)
        self.fresh: set[str] = set()  # projects created by this run: nothing to look for in them
        self.rules: dict[str, list] = {}  # security group id -> its rules, listed once
        self.fresh_routers: set[str] = set()  # routers and ports created by this run: no legs or IPs to find
        self.fresh_ports: set[str] = set()
        self.pools: dict[str, str] = {}  # external network name -> id
        self.lock = threading.RLock()  # tenants run in threads: shared lookups and counts

    # ------------------------------------------------------------ lookups the program makes

    def real(self, planned: str) -> str:
        if planned in self.ids:
            return self.ids[planned]
        with self.lock:  # a lookup shared by tenants (an admin group is created once)
            if planned in self.ids:
                return self.ids[planned]
            return self._lookup(planned)

    def _lookup(self, planned: str) -> str:
        kind, _, name = planned.removeprefix("id-").partition("-")
        ident, net = self.conn.identity, self.conn.network
        if kind == "network":
            found = net.find_network(name, ignore_missing=True)
        elif kind == "role":
            found = ident.find_role(name, ignore_missing=True)
        elif kind == "group":
            found = ident.find_group(name, domain_id="default", ignore_missing=True) or \
                ident.create_group(name=name, domain_id="default", description="admin group (lab stand-in)")
        elif kind == "user":
            found = ident.find_user(name, domain_id="default", ignore_missing=True)
        else:
            found = None
        if found is None:
            raise LabError(f"lab provisioning: the plan refers to {planned}, which the lab cloud does not hold")
        self.ids[planned] = found.id
        return found.id

    def external_network(self) -> None:
        settings = self.env.settings.openstack
        if settings is None:
            raise LabError(f"{self.env.name}: no 'openstack:' section; nothing to provision")
        name = settings.external_network
        net = self.conn.network
        ext = net.find_network(name, ignore_missing=True)
        if ext is None:
            ext = net.create_network(name=name, is_router_external=True, provider_network_type="flat",
                                     provider_physical_network="external",
                                     description="external network (lab stand-in)")
            self.created["external network"] += 1
        if not list(net.subnets(network_id=ext.id)):
            net.create_subnet(network_id=ext.id, name=f"{name}-subnet", cidr=EXTERNAL_CIDR, ip_version=4,
                              enable_dhcp=False)

    # ------------------------------------------------------------ the plan

    def run(self, resources: list[Captured], workers: int = WORKERS) -> dict:
        """Each tenant's resources in dependency order; tenants side by side in a few threads when no
        tenant refers to what another creates (else one after another, as before)."""
        start = time.monotonic()
        self.external_network()
        plan = Plan(self.env.name, resources, {})
        tenants: dict[str, dict[str, list[Captured]]] = defaultdict(lambda: defaultdict(list))
        for r in resources:
            if r.custom and r.type.startswith(P):
                if r.type in HANDLED:
                    tenants[plan.tenant_of(r)][r.type].append(r)
                else:
                    self.skipped[r.type.split(":")[-1]] += 1
        stack = tenants.pop("(stack)", {})
        parallel = workers > 1 and len(tenants) > 1 and self._independent({"(stack)": stack, **tenants})
        if parallel:
            _ = self.conn.identity, self.conn.network  # the SDK makes its proxies on first use: before the threads
            self.tenant(stack)
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="provision") as pool:
                list(pool.map(self.tenant, tenants.values()))
        else:  # one type after another across every tenant
            merged: dict[str, list[Captured]] = defaultdict(list)
            for by_type in (stack, *tenants.values()):
                for rtype, rs in by_type.items():
                    merged[rtype] += rs
            self.tenant(merged)
        return {"created": dict(self.created), "skipped (no Nova/Cinder)": dict(self.skipped),
                "seconds": round(time.monotonic() - start, 2), "tenants_in_parallel": workers if parallel else 1}

    @staticmethod
    def _independent(tenants: dict[str, dict[str, list[Captured]]]) -> bool:
        """No tenant's input names a planned id another tenant creates."""
        owner = {r.id: t for t, by_type in tenants.items() for rs in by_type.values() for r in rs}
        return all(owner.get(v, t) == t for t, by_type in tenants.items() for rs in by_type.values() for r in rs
                   for v in _strings(r.inputs))

    def tenant(self, by_type: dict[str, list[Captured]]) -> None:
        steps = {T_PROJECT: self.project, T_ROLE_ASSIGNMENT: self.role_assignment, T_QUOTA_NETWORK: self.quota,
                 T_NETWORK: self.network, T_SUBNET: self.subnet, T_SECGROUP: self.security_group,
                 T_RULE: self.rule, T_ROUTER: self.router, T_PORT: self.port, T_ROUTER_IF: self.router_interface}
        for rtype in STEPS:
            for r in by_type.get(rtype, []):
                steps[rtype](r)
        self.routes(by_type.get(T_ROUTER_ROUTE, []), by_type.get(T_SUBNET_ROUTE, []))
        for r in by_type.get(T_FIP, []):
            self.floating_ip(r)

    def _project_of(self, r: Captured) -> str:
        return self.real(r.inputs.get("tenantId") or r.inputs["projectId"])

    def _done(self, r: Captured, real_id: str, created: bool) -> None:
        self.ids[r.id] = real_id
        if created:
            self._count(r.type.split(":")[-1])

    def _new(self, r: Captured, made) -> object:
        self._count(r.type.split(":")[-1])
        return made

    def _count(self, kind: str, n: int = 1) -> None:
        with self.lock:
            self.created[kind] += n

    def _tagged(self, made, tags: list[str]):
        """Tags set after the create (the lab's Neutron refuses them in the POST: no tag-creation there)."""
        if sorted(getattr(made, "tags", None) or []) != sorted(tags or []):
            self.conn.network.set_tags(made, tags or [])
        return made

    def project(self, r: Captured) -> None:
        p = r.inputs
        domain = p.get("domainId", "default")
        found = self.conn.identity.find_project(p["name"], domain_id=domain, ignore_missing=True)
        if found is None:
            found = self.conn.identity.create_project(name=p["name"], domain_id=domain,
                                                      description=p.get("description", ""),
                                                      is_enabled=p.get("enabled", True), tags=p.get("tags", []))
            self._count("Project")
            self.fresh.add(found.id)
        self.ids[r.id] = found.id

    def role_assignment(self, r: Captured) -> None:
        p = r.inputs
        project, role = self._project_of(r), self.real(p["roleId"])
        ident = self.conn.identity
        if p.get("groupId"):
            ident.assign_project_role_to_group(project, self.real(p["groupId"]), role)
        else:
            ident.assign_project_role_to_user(project, self.real(p["userId"]), role)
        self._count("RoleAssignment")

    def quota(self, r: Captured) -> None:
        values = {NETWORK_QUOTA[k]: _int(v) for k, v in r.inputs.items() if k in NETWORK_QUOTA}
        self.conn.network.update_quota(self._project_of(r), **values)
        self._count("QuotaV2")

    def _find(self, finder, r: Captured, project: str):
        if project in self.fresh:
            return None
        return next(iter(finder(name=r.inputs["name"], project_id=project)), None)

    def network(self, r: Captured) -> None:
        p, project = r.inputs, self._project_of(r)
        net = self.conn.network
        found = self._find(net.networks, r, project)
        if found is None:
            found = self._new(r, self._tagged(net.create_network(
                name=p["name"], description=p.get("description", ""), project_id=project,
                is_admin_state_up=p.get("adminStateUp", True)), p.get("tags", [])))
        self.ids[r.id] = found.id

    def subnet(self, r: Captured) -> None:
        p, project = r.inputs, self._project_of(r)
        net = self.conn.network
        found = self._find(net.subnets, r, project)
        if found is None:
            found = self._new(r, net.create_subnet(
                name=p["name"], project_id=project, network_id=self.real(p["networkId"]), cidr=p["cidr"],
                ip_version=_int(p.get("ipVersion", 4)), gateway_ip=p.get("gatewayIp"),
                allocation_pools=p.get("allocationPools"), dns_nameservers=p.get("dnsNameservers", []),
                is_dhcp_enabled=p.get("enableDhcp", True)))
            self._tagged(found, p.get("tags", []))
        self.ids[r.id] = found.id

    def security_group(self, r: Captured) -> None:
        p, project = r.inputs, self._project_of(r)
        net = self.conn.network
        found = self._find(net.security_groups, r, project)
        if found is None:
            found = self._new(r, self._tagged(net.create_security_group(
                name=p["name"], description=p.get("description", ""), project_id=project),
                p.get("tags", [])))
            # Neutron's default rules of the new group come in its create answer: no listing
            defaults = [_Rule.of(d) for d in found.security_group_rules or []]
            if p.get("deleteDefaultRules"):
                for rule in defaults:
                    net.delete_security_group_rule(rule.id)
                defaults = []
            self.rules[found.id] = defaults
        self.ids[r.id] = found.id

    def rule(self, r: Captured) -> None:
        p = r.inputs
        net = self.conn.network
        group = self.real(p["securityGroupId"])
        wanted = {"direction": p["direction"], "ether_type": p.get("ethertype", "IPv4"),
                  "protocol": p.get("protocol"), "port_range_min": _int(p.get("portRangeMin")),
                  "port_range_max": _int(p.get("portRangeMax")), "remote_ip_prefix": p.get("remoteIpPrefix"),
                  "remote_group_id": self.real(p["remoteGroupId"]) if p.get("remoteGroupId") else None}
        if group not in self.rules:
            self.rules[group] = list(net.security_group_rules(security_group_id=group))
        for existing in self.rules[group]:
            if all(getattr(existing, k) == v for k, v in wanted.items()):
                self._done(r, existing.id, False)
                return
        made = net.create_security_group_rule(security_group_id=group, project_id=self._project_of(r),
                                              description=p.get("description", ""),
                                              **{k: v for k, v in wanted.items() if v is not None})
        self.rules[group].append(made)
        self._done(r, made.id, True)

    def router(self, r: Captured) -> None:
        p, project = r.inputs, self._project_of(r)
        net = self.conn.network
        found = self._find(net.routers, r, project)
        if found is None:
            gateway = {"network_id": self.real(p["externalNetworkId"])} if p.get("externalNetworkId") else None
            found = self._new(r, self._tagged(net.create_router(
                name=p["name"], description=p.get("description", ""), project_id=project,
                is_admin_state_up=p.get("adminStateUp", True),
                **({"external_gateway_info": gateway} if gateway else {})), p.get("tags", [])))
            self.fresh_routers.add(found.id)
        self.ids[r.id] = found.id

    def port(self, r: Captured) -> None:
        p, project = r.inputs, self._project_of(r)
        net = self.conn.network
        found = self._find(net.ports, r, project)
        if found is None:
            fixed = [{"subnet_id": self.real(f["subnetId"]), "ip_address": f["ipAddress"]}
                     for f in p.get("fixedIps", [])]
            kwargs = {"security_group_ids": [self.real(g) for g in p.get("securityGroupIds", [])]}
            found = self._new(r, self._tagged(net.create_port(
                name=p["name"], description=p.get("description", ""), project_id=project,
                network_id=self.real(p["networkId"]), fixed_ips=fixed, is_admin_state_up=p.get("adminStateUp", True),
                **kwargs), p.get("tags", [])))
            self.fresh_ports.add(found.id)
        self.ids[r.id] = found.id

    def router_interface(self, r: Captured) -> None:
        p = r.inputs
        net = self.conn.network
        router = self.real(p["routerId"])
        # a router this run created has only the legs this run added: nothing to look up
        legs = [] if router in self.fresh_routers else list(net.ports(device_id=router))
        if p.get("portId"):
            port = self.real(p["portId"])
            if any(leg.id == port for leg in legs):
                return
            net.add_interface_to_router(router, port=port)
        else:
            subnet = self.real(p["subnetId"])
            if any(f.get("subnet_id") == subnet for leg in legs for f in leg.fixed_ips
                   if leg.device_owner != "network:router_gateway"):
                return
            net.add_interface_to_router(router, subnet=subnet)
        self._count("RouterInterface")

    def routes(self, router_routes: list[Captured], subnet_routes: list[Captured]) -> None:
        net = self.conn.network
        by_router: dict[str, list[dict]] = defaultdict(list)
        for r in router_routes:
            by_router[self.real(r.inputs["routerId"])].append(
                {"destination": r.inputs["destinationCidr"], "nexthop": r.inputs["nextHop"]})
        for router_id, routes in by_router.items():
            current = net.get_router(router_id).routes or []
            missing = [x for x in routes if x not in current]
            if missing:
                net.update_router(router_id, routes=current + missing)
                self._count("RouterRoute", len(missing))
        by_subnet: dict[str, list[dict]] = defaultdict(list)
        for r in subnet_routes:
            by_subnet[self.real(r.inputs["subnetId"])].append(
                {"destination": r.inputs["destinationCidr"], "nexthop": r.inputs["nextHop"]})
        for subnet_id, routes in by_subnet.items():
            current = net.get_subnet(subnet_id).host_routes or []
            missing = [x for x in routes if x not in current]
            if missing:
                net.update_subnet(subnet_id, host_routes=current + missing)
                self._count("SubnetRoute", len(missing))

    def floating_ip(self, r: Captured) -> None:
        p, project = r.inputs, self._project_of(r)
        net = self.conn.network
        port = self.real(p["portId"]) if p.get("portId") else None
        if port and port not in self.fresh_ports and list(net.ips(port_id=port)):
            return
        pool = self.pool(p["pool"])
        made = self._tagged(net.create_ip(floating_network_id=pool, project_id=project,
                                          description=p.get("description", ""),
                                          **({"port_id": port} if port else {})), p.get("tags", []))
        self._done(r, made.id, True)

    def pool(self, name: str) -> str:
        with self.lock:
            if name not in self.pools:
                self.pools[name] = self.conn.network.find_network(name, ignore_missing=False).id
            return self.pools[name]


def provision(conn, env: Environment, resources: list[Captured], workers: int = WORKERS) -> dict:
    """Create the planned Keystone and Neutron resources; counts by type and the time taken."""
    return Provisioner(conn, env).run(resources, workers)


def lab_connection(env_name: str):
    """openstacksdk's connection to the lab cloud as its admin (the cloud must be up)."""
    import openstack
    from openstack import config as os_config

    from pdc import labcontract
    from pdc.lab.cloud import services

    try:
        path = labcontract.clouds_yaml(env_name)
    except labcontract.LabNotUp as exc:
        raise LabError(str(exc)) from None
    loader = os_config.OpenStackConfig(config_files=[str(path)], vendor_files=[])
    return openstack.connection.Connection(config=loader.get_one(services.ADMIN_CLOUD))


def provision_lab(env: Environment, workers: int = WORKERS) -> dict:
    """Plan env (the tenant program with mocks, as `pdc plan`) and create the plan in its lab cloud."""
    from pdc.plan import run_program

    plan = run_program(env)
    conn = lab_connection(env.name)
    try:
        return provision(conn, env, plan.resources, workers)
    finally:
        conn.close()
