"""The tenant part of the audit: each PDC-CLD control judged on the plan, or on the live cloud.

Each control is one CrossGuard policy of stacks/policy. The plan is the real tenant program run
in-process with Pulumi's mocks (pdc.plan, as `pdc plan` does); the policies' findings are
attributed to the tenant whose resources they name and become the report's items (item ``plan``).

With a cloud (`pdc audit ENV --tenants --cloud [NAME]`), each planned tenant's controls are the
live posture of `pdc cloud audit` (pdc.cloud.audit: the same policy objects on the resources the
cloud holds; item ``cloud``), with that tenant's drift for the control as evidence lines (drift
alone does not fail a control, as in `pdc cloud audit`). A control whose resources the cloud is
not read for (volumes, instances: PDC-CLD-004/005) stays judged on the plan and says so; a planned
tenant that has no project in the cloud is an error on each of its controls.
"""

from __future__ import annotations

import re
from dataclasses import replace

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
LIVE_ITEM = "cloud"


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


def live_tenant_items(env: Environment, plan: planner.Plan, violations: list[planner.Violation], result,
                      catalog: Catalog, decisions) -> tuple[list[ItemResult], dict[str, HostInfo]]:
    """The planned tenants' items from a live cloud audit (a pdc.cloud.audit.Result of the same plan)."""
    from pdc.cloud import audit as cloud_audit
    from pdc.cloud.live import NOT_READ

    planned_items, infos = tenant_items(env, plan, violations, catalog, decisions)
    posture = {(p.tenant, p.control): p for p in result.posture}
    drift: dict[tuple[str, str | None], list[str]] = {}
    for d in result.drift:
        detail = f" ({d.detail()})" if d.kind == "changed" else ""
        drift.setdefault((d.tenant, d.control), []).append(
            f"drift on cloud {result.cloud}: {d.kind} {d.type} {d.resource}{detail}")
    live_status = {cloud_audit.PASS: Status.PASS, cloud_audit.FAIL: Status.FAIL,
                   cloud_audit.WAIVED_STATUS: Status.WAIVED}
    items = []
    for item in planned_items:
        tenant = infos[item.host].system
        if tenant not in result.tenants:
            why = f"cloud {result.cloud} has no project for tenant {tenant} (is the stack applied?)"
            items.append(ItemResult(item.control, item.host, LIVE_ITEM, Status.ERROR, [why], why))
            continue
        lines = drift.get((tenant, item.control), [])
        live = posture.get((tenant, item.control))
        if live is None or live.status not in live_status:
            note = f"not read from cloud {result.cloud} ({NOT_READ}): judged on the plan"
            items.append(replace(item, evidence=[note, *item.evidence, *lines]))
            continue
        status = live_status[live.status]
        evidence = list(live.findings) or [f"no finding over the live resources of tenant {tenant} on cloud "
                                           f"{result.cloud}"]
        items.append(ItemResult(item.control, item.host, LIVE_ITEM, status, evidence + lines,
                                "" if status == Status.PASS else "; ".join(live.findings)))
    return items, infos


def audit_tenants_live(env: Environment, conn, cloud_name: str, catalog: Catalog,
                       decisions) -> tuple[list[ItemResult], dict[str, HostInfo]]:
    """Plan once, audit the live cloud against that plan (read-only) and judge each tenant live."""
    from pdc.cloud.audit import audit as cloud_audit

    plan = planner.run_program(env)
    result = cloud_audit(env, conn, cloud_name, planned=plan)
    return live_tenant_items(env, plan, planner.check_policies(env, plan), result, catalog, decisions)
