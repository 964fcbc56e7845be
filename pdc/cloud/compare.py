"""Drift: the plan against the cloud, per tenant, resource by resource.

Both sides are plan-shaped records (pdc.plan for the plan, pdc.cloud.live for the cloud). Each
becomes a keyed entry with its references spelled as names (a subnet's network, a rule's group,
a port's security groups, a router's external network), so planned ids and cloud ids never need
to match. Then per tenant: entries only in the plan are *missing*, only in the cloud *not in plan*,
in both with a different attribute *changed* (only attributes the plan sets are compared).

Each entry names the PDC-CLD control whose promise the resource carries (rules: PDC-CLD-001;
floating IPs, gateways, router legs and routes: PDC-CLD-002; networks and subnets: PDC-CLD-003;
quotas: PDC-CLD-006); projects and role assignments carry none.
"""

from __future__ import annotations

from dataclasses import dataclass

from pdc.cloud import live as L
from pdc.plan import Plan, plain
from pdc.pulumi_mocks import Captured

CONTROL = {
    L.T_RULE: "PDC-CLD-001", L.T_SECGROUP: "PDC-CLD-001", L.T_PORT: "PDC-CLD-001",
    L.T_FIP: "PDC-CLD-002", L.T_ROUTER: "PDC-CLD-002", L.T_ROUTER_IF: "PDC-CLD-002",
    L.T_ROUTER_ROUTE: "PDC-CLD-002", L.T_SUBNET_ROUTE: "PDC-CLD-002",
    L.T_NETWORK: "PDC-CLD-003", L.T_SUBNET: "PDC-CLD-003",
    L.T_QUOTA_NETWORK: "PDC-CLD-006",
}
MISSING, NOT_IN_PLAN, CHANGED = "missing", "not in plan", "changed"


@dataclass(frozen=True)
class Entry:
    tenant: str
    type: str
    key: str
    attrs: tuple  # ((field, value), ...)


@dataclass
class Drift:
    tenant: str
    kind: str  # missing | not in plan | changed
    type: str  # short type: SecGroupRule
    resource: str
    control: str | None
    field: str | None = None
    plan: object = None
    cloud: object = None

    def to_json(self) -> dict:
        return {"tenant": self.tenant, "kind": self.kind, "type": self.type, "resource": self.resource,
                "control": self.control, "field": self.field, "plan": self.plan, "cloud": self.cloud}

    def detail(self) -> str:
        if self.kind == CHANGED:
            return f"{self.field}: plan {_show(self.plan)}, cloud {_show(self.cloud)}"
        return self.kind


def _show(value) -> str:
    return "(none)" if value is None else ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


class _Names:
    """A reference as a name: a resource of the same side, else a name the cloud gave, else the
    plan's stand-in for a lookup (``id-network-lab-external`` -> ``lab-external``)."""

    def __init__(self, resources: list[Captured], extra: dict[str, str]):
        self.by_id = {r.id: r for r in resources if r.custom}
        self.extra = extra

    def __call__(self, ref) -> str | None:
        if not ref:
            return None
        if ref in self.by_id:
            return self.by_id[ref].inputs.get("name") or self.by_id[ref].name
        if ref in self.extra:
            return self.extra[ref]
        if isinstance(ref, str) and ref.startswith("id-"):
            return ref[3:].partition("-")[2]
        return str(ref)


def _rule_key(p: dict, name) -> str:
    low, high = p.get("portRangeMin"), p.get("portRangeMax")
    ports = "any port" if low is None and high is None else f"{low}" if low == high else f"{low}-{high}"
    remote = p.get("remoteIpPrefix") or (f"group {name(p['remoteGroupId'])}" if p.get("remoteGroupId")
                                          else "any address")
    way = "from" if p.get("direction") == "ingress" else "to"
    return (f"{name(p.get('securityGroupId'))}: {p.get('direction')} {p.get('ethertype') or 'IPv4'} "
            f"{p.get('protocol') or 'any'} {ports} {way} {remote}")


def entry_of(r: Captured, name) -> tuple[str, dict] | None:
    """(key, attributes) of one record; None for a type the drift check does not compare."""
    p = plain(r.inputs)
    t = r.type
    if t == L.T_PROJECT:
        return p.get("name"), {"enabled": p.get("enabled"), "tags": sorted(p.get("tags") or []) or None}
    if t == L.T_ROLE_ASSIGNMENT:
        who = f"group {name(p['groupId'])}" if p.get("groupId") else f"user {name(p.get('userId'))}"
        return f"{name(p.get('roleId'))} for {who}", {}
    if t == L.T_QUOTA_NETWORK:
        return "network quota", {k: p.get(k) for k in L.NETWORK_QUOTA.values()}
    if t == L.T_NETWORK:
        return p.get("name"), {"adminStateUp": p.get("adminStateUp")}
    if t == L.T_SUBNET:
        pools = [f"{x.get('start')}-{x.get('end')}" for x in p.get("allocationPools") or []]
        return p.get("name"), {"network": name(p.get("networkId")), "cidr": p.get("cidr"),
                               "gatewayIp": p.get("gatewayIp"), "allocationPools": pools or None,
                               "dnsNameservers": p.get("dnsNameservers") or None, "enableDhcp": p.get("enableDhcp")}
    if t == L.T_SUBNET_ROUTE:
        return f"{name(p.get('subnetId'))} to {p.get('destinationCidr')}", {"nextHop": p.get("nextHop")}
    if t == L.T_SECGROUP:
        return p.get("name"), {}
    if t == L.T_RULE:
        return _rule_key(p, name), {}
    if t == L.T_ROUTER:
        return p.get("name"), {"externalGateway": name(p.get("externalNetworkId")) or "(none)"}
    if t == L.T_ROUTER_IF:
        leg = name(p.get("portId")) if p.get("portId") else name(p.get("subnetId"))
        return f"{name(p.get('routerId'))} leg on {leg}", {}
    if t == L.T_ROUTER_ROUTE:
        return f"{name(p.get('routerId'))} to {p.get('destinationCidr')}", {"nextHop": p.get("nextHop")}
    if t == L.T_PORT:
        fixed = [f"{name(f.get('subnetId'))}={f.get('ipAddress')}" for f in p.get("fixedIps") or []]
        groups = sorted(name(g) for g in p.get("securityGroupIds") or [])
        return p.get("name"), {"network": name(p.get("networkId")), "fixedIps": fixed or None,
                               "securityGroups": groups or None, "adminStateUp": p.get("adminStateUp")}
    if t == L.T_FIP:
        where = f"on port {name(p['portId'])}" if p.get("portId") else f"unattached {p.get('address', r.name)}"
        return where, {"pool": p.get("pool")}
    return None


def entries(plan: Plan, extra_names: dict[str, str]) -> dict[tuple[str, str, str], dict]:
    name = _Names(plan.resources, extra_names)
    out: dict[tuple[str, str, str], dict] = {}
    for r in plan.resources:
        if not r.custom or r.type not in L.READ_TYPES:
            continue
        made = entry_of(r, name)
        if made is None:
            continue
        key, attrs = made
        out[(plan.tenant_of(r), r.type, str(key))] = attrs
    return out


def drift(planned: Plan, live: Plan, live_names: dict[str, str]) -> list[Drift]:
    want = entries(planned, {})
    have = entries(live, live_names)
    out: list[Drift] = []
    for k in sorted(want.keys() | have.keys()):
        tenant, rtype, key = k
        short = rtype.split(":")[-1]
        control = CONTROL.get(rtype)
        if k not in have:
            out.append(Drift(tenant, MISSING, short, key, control))
        elif k not in want:
            out.append(Drift(tenant, NOT_IN_PLAN, short, key, control))
        else:
            for fld, value in want[k].items():
                if value is not None and have[k].get(fld) != value:
                    out.append(Drift(tenant, CHANGED, short, key, control, fld, value, have[k].get(fld)))
    return out
