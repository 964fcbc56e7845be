"""`pdc cloud audit`: drift against the plan and posture of the live tenants, read-only.

- **Plan**: the tenant program run with Pulumi's mocks (pdc.plan, as `pdc plan`).
- **Cloud**: what the cloud holds for pdc (pdc.cloud.live), through openstacksdk; only list and
  show calls, never a change.
- **Drift** (pdc.cloud.compare): per tenant, missing, not in plan, changed.
- **Posture**: the same CrossGuard policy objects `pdc plan` runs (stacks/policy), applied to the
  live records; each finding is its PDC-CLD control (pdc.audit.tenants.POLICY_CONTROLS), judged
  with the catalog's applicability (level, waivers) like `pdc audit --tenants`. A finding about
  a resource type the cloud was not read for (compute, volumes) cannot be judged here: it is
  left out and the report says what was not read.

Exit status: 0 clean, 2 drift only, 1 a required control fails (or the cloud cannot be read).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from pdc.applicability import NOT_APPLICABLE, WAIVED, decisions_of, tenant_target, verdicts
from pdc.audit.tenants import POLICY_CONTROLS, findings_by_tenant
from pdc.cloud import compare, live
from pdc.cloud.connect import CloudError, _message
from pdc.controls import load_catalog
from pdc.environment import Environment
from pdc.plan import Plan, Violation, check_policies, run_program

# findings about quota resources of services the audit does not read (Nova, Cinder)
UNREAD_TYPES = ("QuotaSetV2", "QuoteSetV3")
# controls whose policy judges only what is not read (volumes, instances, server groups)
UNREAD_CONTROLS = {"PDC-CLD-004", "PDC-CLD-005"}
PASS, FAIL, WAIVED_STATUS, NOT_READ = "pass", "fail", "waived", "not read"


@dataclass
class Posture:
    tenant: str
    control: str
    status: str
    findings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"tenant": self.tenant, "control": self.control, "status": self.status, "findings": self.findings}


@dataclass
class Result:
    env: str
    cloud: str
    drift: list[compare.Drift]
    posture: list[Posture]
    tenants: list[str]
    unplanned_tenants: list[str]
    counts: dict
    seconds: dict

    @property
    def failing(self) -> list[Posture]:
        return [p for p in self.posture if p.status == FAIL]

    @property
    def exit_code(self) -> int:
        return 1 if self.failing else 2 if self.drift else 0

    def to_json(self) -> dict:
        return {"environment": self.env, "cloud": self.cloud, "exit_code": self.exit_code,
                "tenants": self.tenants, "unplanned_tenants": self.unplanned_tenants,
                "drift": [d.to_json() for d in self.drift], "posture": [p.to_json() for p in self.posture],
                "not_read": live.NOT_READ, "resources": self.counts, "seconds": self.seconds}


def as_plan(env: Environment, records: live.Live) -> Plan:
    """The live records as a plan; each rule named by what it opens (a finding names it so)."""
    name = compare._Names(records.resources, records.names)
    for r in records.resources:
        if r.type == live.T_RULE:
            r.name = compare._rule_key(r.inputs, name)
    return Plan(env.name, records.resources, {})


def posture(env: Environment, live_plan: Plan, systems: list[str]) -> list[Posture]:
    catalog = load_catalog()
    decisions = decisions_of(env.root / "waivers.yml", catalog)
    violations = [v for v in check_policies(env, live_plan) if not any(t in v.message for t in UNREAD_TYPES)]
    by_tenant = findings_by_tenant(live_plan, violations)
    policy_of = {cid: name for name, cid in POLICY_CONTROLS.items()}
    out: list[Posture] = []
    for tenant in systems:
        mine: list[Violation] = by_tenant.get(tenant, [])
        for cid, v in verdicts(tenant_target(env.system(tenant)), catalog, decisions).items():
            if v.status == NOT_APPLICABLE or cid not in policy_of:
                continue
            if cid in UNREAD_CONTROLS:
                out.append(Posture(tenant, cid, NOT_READ, [f"not read here: {live.NOT_READ}"]))
                continue
            found = [f for f in mine if f.policy == policy_of[cid]]
            failing = [f for f in found if f.mandatory]
            status = PASS if not failing else WAIVED_STATUS if v.status == WAIVED else FAIL
            out.append(Posture(tenant, cid, status, [str(f) for f in found]))
    return out


def audit(env: Environment, conn, cloud_name: str, planned: Plan | None = None) -> Result:
    """Plan (unless given the plan), read the cloud, compare and judge (every call to the cloud is a read)."""
    seconds = {}
    t = time.monotonic()
    planned = planned or run_program(env)
    seconds["plan"] = round(time.monotonic() - t, 2)
    systems = {s.id for s in env.systems}
    t = time.monotonic()
    try:
        records = live.read(conn, systems)
    except live.BadAnswer as exc:
        raise CloudError(f"cloud {cloud_name!r} answered something unexpected: {exc}") from None
    except Exception as exc:  # an SDK or HTTP error: which call failed, in one line
        raise CloudError(f"cloud {cloud_name!r}: reading failed: {type(exc).__name__}: {_message(exc)}") from None
    seconds["read"] = round(time.monotonic() - t, 2)
    t = time.monotonic()
    live_plan = as_plan(env, records)
    drift = compare.drift(planned, live_plan, records.names)
    live_tenants = sorted({r.name for r in records.resources if not r.custom})
    judged = sorted(s for s in live_tenants if s in systems)
    result = Result(env.name, cloud_name, drift, posture(env, live_plan, judged), judged,
                    sorted(set(live_tenants) - systems),
                    {"planned": sum(1 for r in planned.resources if r.custom and r.type in live.READ_TYPES),
                     "cloud": sum(1 for r in records.resources if r.custom)}, seconds)
    seconds["compare"] = round(time.monotonic() - t, 2)
    return result
