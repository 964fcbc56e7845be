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
"""

from __future__ import annotations

import time
from collections import defaultdict

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
from pdc.pulumi_mocks import Captured

# the resource types the live audit reads are the ones the lab creates; Neutron's quota names by the plan's
HANDLED = READ_TYPES
NETWORK_QUOTA = {plan: neutron for neutron, plan in NEUTRON_QUOTA.items()}
# the lab's external network: documentation addresses (RFC 5737), never configured on any interface
EXTERNAL_CIDR = "203.0.113.0/24"


def _int(value):
    return int(value) if isinstance(value, float) and value.is_integer() else value


class Provisioner:
    def __init__(self, conn, env: Environment):
        self.conn = conn
        self.env = env
        self.ids: dict[str, str] = {}  # planned id -> real id
        self.created: dict[str, int] = defaultdict(int)
        self.skipped: dict[str, int] = defaultdict(int)
        self.fresh: set[str] = set()  # projects created by this run: nothing to look for in them
        self.rules: dict[str, list] = {}  # security group id -> its rules, listed once

    # ------------------------------------------------------------ lookups the program makes

    def real(self, planned: str) -> str:
        if planned in self.ids:
            return self.ids[planned]
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

    def run(self, resources: list[Captured]) -> dict:
        start = time.monotonic()
        self.external_network()
        by_type: dict[str, list[Captured]] = defaultdict(list)
        for r in resources:
            if r.custom and r.type.startswith(P):
                if r.type in HANDLED:
                    by_type[r.type].append(r)
                else:
                    self.skipped[r.type.split(":")[-1]] += 1
        for rtype, step in ((T_PROJECT, self.project), (T_ROLE_ASSIGNMENT, self.role_assignment),
                            (T_QUOTA_NETWORK, self.quota), (T_NETWORK, self.network), (T_SUBNET, self.subnet),
                            (T_SECGROUP, self.security_group), (T_RULE, self.rule), (T_ROUTER, self.router),
                            (T_PORT, self.port), (T_ROUTER_IF, self.router_interface)):
            for r in by_type[rtype]:
                step(r)
        self.routes(by_type[T_ROUTER_ROUTE], by_type[T_SUBNET_ROUTE])
        for r in by_type[T_FIP]:
            self.floating_ip(r)
        return {"created": dict(self.created), "skipped (no Nova/Cinder)": dict(self.skipped),
                "seconds": round(time.monotonic() - start, 2)}

    def _project_of(self, r: Captured) -> str:
        return self.real(r.inputs.get("tenantId") or r.inputs["projectId"])

    def _done(self, r: Captured, real_id: str, created: bool) -> None:
        self.ids[r.id] = real_id
        if created:
            self.created[r.type.split(":")[-1]] += 1

    def _new(self, r: Captured, made) -> object:
        self.created[r.type.split(":")[-1]] += 1
        return made

    def project(self, r: Captured) -> None:
        p = r.inputs
        domain = p.get("domainId", "default")
        found = self.conn.identity.find_project(p["name"], domain_id=domain, ignore_missing=True)
        if found is None:
            found = self.conn.identity.create_project(name=p["name"], domain_id=domain,
                                                      description=p.get("description", ""),
                                                      is_enabled=p.get("enabled", True), tags=p.get("tags", []))
            self.created["Project"] += 1
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
        self.created["RoleAssignment"] += 1

    def quota(self, r: Captured) -> None:
        values = {NETWORK_QUOTA[k]: _int(v) for k, v in r.inputs.items() if k in NETWORK_QUOTA}
        self.conn.network.update_quota(self._project_of(r), **values)
        self.created["QuotaV2"] += 1

    def _find(self, finder, r: Captured, project: str):
        if project in self.fresh:
            return None
        return next(iter(finder(name=r.inputs["name"], project_id=project)), None)

    def network(self, r: Captured) -> None:
        p, project = r.inputs, self._project_of(r)
        net = self.conn.network
        found = self._find(net.networks, r, project)
        if found is None:
            found = self._new(r, net.create_network(name=p["name"], description=p.get("description", ""),
                                                    project_id=project,
                                       is_admin_state_up=p.get("adminStateUp", True)))
            net.set_tags(found, p.get("tags", []))
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
            net.set_tags(found, p.get("tags", []))
        self.ids[r.id] = found.id

    def security_group(self, r: Captured) -> None:
        p, project = r.inputs, self._project_of(r)
        net = self.conn.network
        found = self._find(net.security_groups, r, project)
        if found is None:
            found = self._new(r, net.create_security_group(name=p["name"], description=p.get("description", ""),
                                              project_id=project))
            net.set_tags(found, p.get("tags", []))
            if p.get("deleteDefaultRules"):
                for rule in net.security_group_rules(security_group_id=found.id):
                    net.delete_security_group_rule(rule)
                self.rules[found.id] = []
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
            found = self._new(r, net.create_router(name=p["name"], description=p.get("description", ""),
                                                   project_id=project,
                                      is_admin_state_up=p.get("adminStateUp", True),
                                      **({"external_gateway_info": gateway} if gateway else {})))
            net.set_tags(found, p.get("tags", []))
        self.ids[r.id] = found.id

    def port(self, r: Captured) -> None:
        p, project = r.inputs, self._project_of(r)
        net = self.conn.network
        found = self._find(net.ports, r, project)
        if found is None:
            fixed = [{"subnet_id": self.real(f["subnetId"]), "ip_address": f["ipAddress"]}
                     for f in p.get("fixedIps", [])]
            kwargs = {"security_group_ids": [self.real(g) for g in p.get("securityGroupIds", [])]}
            found = self._new(r, net.create_port(name=p["name"], description=p.get("description", ""),
                                                 project_id=project,
                                    network_id=self.real(p["networkId"]), fixed_ips=fixed,
                                    is_admin_state_up=p.get("adminStateUp", True), **kwargs))
            net.set_tags(found, p.get("tags", []))
        self.ids[r.id] = found.id

    def router_interface(self, r: Captured) -> None:
        p = r.inputs
        net = self.conn.network
        router = net.get_router(self.real(p["routerId"]))
        legs = list(net.ports(device_id=router.id))
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
        self.created["RouterInterface"] += 1

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
                self.created["RouterRoute"] += len(missing)
        by_subnet: dict[str, list[dict]] = defaultdict(list)
        for r in subnet_routes:
            by_subnet[self.real(r.inputs["subnetId"])].append(
                {"destination": r.inputs["destinationCidr"], "nexthop": r.inputs["nextHop"]})
        for subnet_id, routes in by_subnet.items():
            current = net.get_subnet(subnet_id).host_routes or []
            missing = [x for x in routes if x not in current]
            if missing:
                net.update_subnet(subnet_id, host_routes=current + missing)
                self.created["SubnetRoute"] += len(missing)

    def floating_ip(self, r: Captured) -> None:
        p, project = r.inputs, self._project_of(r)
        net = self.conn.network
        port = self.real(p["portId"]) if p.get("portId") else None
        if port and list(net.ips(port_id=port)):
            return
        pool = net.find_network(p["pool"], ignore_missing=False)
        made = net.create_ip(floating_network_id=pool.id, project_id=project, description=p.get("description", ""),
                             **({"port_id": port} if port else {}))
        net.set_tags(made, p.get("tags", []))
        self._done(r, made.id, True)


def provision(conn, env: Environment, resources: list[Captured]) -> dict:
    """Create the planned Keystone and Neutron resources; counts by type and the time taken."""
    return Provisioner(conn, env).run(resources)


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


def provision_lab(env: Environment) -> dict:
    """Plan env (the tenant program with mocks, as `pdc plan`) and create the plan in its lab cloud."""
    from pdc.plan import run_program

    plan = run_program(env)
    conn = lab_connection(env.name)
    try:
        return provision(conn, env, plan.resources)
    finally:
        conn.close()
