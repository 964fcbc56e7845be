"""The tenant part of the audit: each PDC-CLD control judged on the plan.

Each control is one CrossGuard policy of stacks/policy. The plan is the real tenant program run
in-process with Pulumi's mocks (pdc.plan, as `pdc plan` does); the policies' findings are
attributed to the tenant whose resources they name and become the report's items.
"""

from __future__ import annotations

import re

from pdc import plan as planner
from pdc.applicability import NOT_APPLICABLE, WAIVED, tenant_target, verdicts
from pdc.audit.model import HostInfo, ItemResult, Status
from pdc.controls import Catalog
from pdc.environment import Environment

# CrossGuard policy name -> its control (a unit test proves the two lists match one to one)
POLICY_CONTROLS = {
    "no-admin-ports-from-anywhere": "PDC-CLD-001",
    "db-zone-not-exposed": "PDC-CLD-002",
    "level3-separate-zone-networks": "PDC-CLD-003",
    "level3-encrypted-volumes": "PDC-CLD-004",
    "level4-anti-affinity": "PDC-CLD-005",
    "quotas-cover-plan": "PDC-CLD-006",
}
ITEM = "plan"


def tenant_name(system_id: str) -> str:
    """How the report names a tenant: never a host or switch name (those hold no slash)."""
    return f"{system_id}/tenant"
_NAMED_SYSTEM = re.compile(r"\bsystem (\S+)")


def findings_by_tenant(plan: planner.Plan, violations: list[planner.Violation]) -> dict[str, list]:
    """Each finding under the tenant it is about: its resource's tenant, else the system its message
    names; a finding about no tenant counts against every tenant (never lost)."""
    by_urn = {r.urn: r for r in plan.resources}
    tenants = planned_tenants(plan)
    out: dict[str, list] = {t: [] for t in tenants}
    for v in violations:
        resource = by_urn.get(v.urn)
        named = _NAMED_SYSTEM.search(v.message)
        if resource is not None and plan.tenant_of(resource) in out:
            owners = [plan.tenant_of(resource)]
        elif named and named.group(1) in out:
            owners = [named.group(1)]
        else:
            owners = tenants
        for owner in owners:
            out[owner].append(v)
    return out


def planned_tenants(plan: planner.Plan) -> list[str]:
    return sorted(t for t in plan.summary() if t != "(stack)")


def tenant_items(env: Environment, plan: planner.Plan, violations: list[planner.Violation], catalog: Catalog,
                 decisions) -> tuple[list[ItemResult], dict[str, HostInfo]]:
    """One item per planned tenant and applicable PDC-CLD control, and each tenant's report entry."""
    policy_of = {cid: name for name, cid in POLICY_CONTROLS.items()}
    findings = findings_by_tenant(plan, violations)
    resources = plan.summary()
    items, infos = [], {}
    for tenant in planned_tenants(plan):
        system = env.system(tenant)
        name = tenant_name(tenant)
        infos[name] = HostInfo(name=name, system=system.id, system_name=system.name_vi, level=system.level,
                                 zone="tenant", os="openstack", kind="tenant")
        for cid, v in verdicts(tenant_target(system), catalog, decisions).items():
            if v.status == NOT_APPLICABLE or cid not in policy_of:
                continue
            mine = [f for f in findings[tenant] if f.policy == policy_of[cid]]
            failing = [f for f in mine if f.mandatory]
            status = Status.PASS if not failing else Status.WAIVED if v.status == WAIVED else Status.FAIL
            evidence = [str(f) for f in mine] or [
                f"policy {policy_of[cid]}: no finding over {sum(resources[tenant].values())} planned resources"]
            items.append(ItemResult(cid, name, ITEM, status, evidence, "; ".join(f.message for f in failing)))
    return items, infos


def audit_tenants(env: Environment, catalog: Catalog, decisions) -> tuple[list[ItemResult], dict[str, HostInfo]]:
    """Plan the environment's tenants in-process with the mocks and judge the plan."""
    plan = planner.run_program(env)
    return tenant_items(env, plan, planner.check_policies(env, plan), catalog, decisions)
