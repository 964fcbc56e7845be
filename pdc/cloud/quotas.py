"""`pdc plan ENV --cloud`: the plan's network needs against the cloud's quotas and usage, before
anything is applied.

For each planned tenant whose project the cloud already holds, per Neutron quota:
- the plan needs more than the cloud's current limit (a quota someone lowered, or a plan that
  grew): applying would fail part way, whatever order the engine creates things in;
- the plan's own quota is below what the project uses now: applying would lower it under the usage.
Planned needs are counted as the quotas-cover-plan policy counts them (stacks/policy). Compute and
volume quotas are not read (no Nova or Cinder here; see pdc.cloud.live).
"""

from __future__ import annotations

from dataclasses import dataclass

from pdc.cloud import live as L
from pdc.environment import Environment
from pdc.plan import Plan, _policy_resources, plain, policies

# the plan's QuotaV2 fields -> openstacksdk's names of Neutron's quotas (and of their details)
NEUTRON = {plan: sdk for sdk, plan in L.NETWORK_QUOTA.items() if plan not in ("rbacPolicy", "subnetpool")}


@dataclass
class QuotaFlag:
    tenant: str
    quota: str
    problem: str  # "exceeds" | "below usage"
    planned: float
    limit: int
    used: int

    def __str__(self) -> str:
        if self.problem == "exceeds":
            return (f"{self.tenant}: the plan needs {self.planned:g} {self.quota} but the cloud's quota is "
                    f"{self.limit} ({self.used} in use)")
        return (f"{self.tenant}: the plan sets quota {self.quota}={self.planned:g}, below the {self.used} "
                "in use in the cloud")

    def to_json(self) -> dict:
        return {"tenant": self.tenant, "quota": self.quota, "problem": self.problem, "planned": self.planned,
                "limit": self.limit, "used": self.used}


def planned_needs(env: Environment, plan: Plan) -> dict[str, dict[str, float]]:
    """Per tenant, the network resources the plan creates (as quotas-cover-plan counts them)."""
    pack = policies()
    stack = pack._Stack(_policy_resources(plan.resources))
    flavors = pack.config_for(env)[pack.quotas_cover_plan.name]["flavors"]
    out = {}
    for tenant in stack.by_tenant:
        usage = pack._usage(stack, tenant, flavors, lambda *a, **k: None)
        out[tenant] = {f: v for (t, f), v in usage.items() if t == L.T_QUOTA_NETWORK}
    return out


def planned_quotas(plan: Plan) -> dict[str, dict]:
    return {plan.tenant_of(r): plain(r.inputs) for r in plan.resources if r.type == L.T_QUOTA_NETWORK}


def _detail(value, what: str) -> tuple[int, int]:
    if not isinstance(value, dict):
        raise L.BadAnswer(f"quota {what}: expected a mapping with limit and used")
    limit, used = value.get("limit"), value.get("used", 0)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (limit, used)):
        raise L.BadAnswer(f"quota {what}: limit and used must be integers")
    return limit, used


def check(env: Environment, plan: Plan, conn) -> tuple[list[QuotaFlag], dict]:
    """The flags, and what was read per tenant (for the JSON)."""
    needs = planned_needs(env, plan)
    quotas = planned_quotas(plan)
    projects = {}
    for p in conn.identity.projects():
        d = p.to_dict(computed=False)
        if isinstance(d.get("name"), str) and isinstance(d.get("id"), str):
            projects[d["name"]] = d["id"]
    flags: list[QuotaFlag] = []
    seen: dict[str, dict] = {}
    for tenant in sorted(needs):
        if tenant not in projects:
            seen[tenant] = {"project": None}
            continue
        details = conn.network.get_quota(projects[tenant], details=True).to_dict(computed=False)
        seen[tenant] = {"project": projects[tenant], "quotas": {}}
        for field, neutron in NEUTRON.items():
            limit, used = _detail(details.get(neutron), neutron)
            seen[tenant]["quotas"][field] = {"limit": limit, "used": used}
            need = needs[tenant].get(field, 0)
            if limit != -1 and need > limit:
                flags.append(QuotaFlag(tenant, field, "exceeds", need, limit, used))
            setting = quotas.get(tenant, {}).get(field)
            if isinstance(setting, int | float) and setting != -1 and setting < used:
                flags.append(QuotaFlag(tenant, field, "below usage", setting, limit, used))
    return flags, seen
