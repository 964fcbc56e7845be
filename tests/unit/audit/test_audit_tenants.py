"""The tenant part of the audit: PDC-CLD controls judged on the lab's plan (the tenant program run
with the mocks), for every planned tenant, as documented; a planted violation fails its control."""

from __future__ import annotations

import re

import pytest

from pdc import paths
from pdc import plan as planner
from pdc.applicability import ACTIVE, no_decisions, tenant_target, verdicts
from pdc.audit import tenants
from pdc.audit.model import Status
from pdc.controls import load_catalog
from pdc.environment import load_environment

CATALOG = load_catalog()
T_RULE = "openstack:networking/secGroupRule:SecGroupRule"


@pytest.fixture(scope="module")
def lab():
    return load_environment("lab")


@pytest.fixture(scope="module")
def lab_plan(lab):
    return planner.run_program(lab)


def _judge(lab, plan):
    return tenants.tenant_items(lab, plan, planner.check_policies(lab, plan), CATALOG, no_decisions())


def _documented() -> dict[int, list[str]]:
    text = (paths.DOCS / "controls.md").read_text(encoding="utf-8")
    section = text.split("## Tenants: controls by level", 1)[1].split("\n## ", 1)[0]
    return {int(level): [] if ids == "-" else ids.split(", ")
            for level, ids in re.findall(r"^\| (\d) \| openstack \| (.+) \|$", section, flags=re.M)}


def test_each_policy_is_one_tenant_control():
    names = [p.name for p in planner.policies().POLICIES]
    assert sorted(names) == sorted(tenants.POLICY_CONTROLS)
    assert sorted(tenants.POLICY_CONTROLS.values()) == sorted(c.id for c in CATALOG.controls if c.target == "tenant")


def test_policy_level_thresholds_are_the_catalogs():
    pack = planner.policies()
    assert pack.SEPARATE_FROM_LEVEL == CATALOG.by_id["PDC-CLD-003"].min_level
    assert pack.ANTI_AFFINITY_FROM_LEVEL == CATALOG.by_id["PDC-CLD-005"].min_level


def test_every_planned_tenant_has_its_documented_controls_and_passes(lab, lab_plan):
    items, infos = _judge(lab, lab_plan)
    planned = tenants.planned_tenants(lab_plan)
    assert sorted(planned) == sorted(s.id for s in lab.systems)
    assert sorted(infos) == sorted(tenants.tenant_name(t) for t in planned)
    documented = _documented()
    for tenant in planned:
        system = lab.system(tenant)
        applicable = [cid for cid, v in verdicts(tenant_target(system), CATALOG, no_decisions()).items()
                      if v.status == ACTIVE]
        judged = [i.control for i in items if i.host == tenants.tenant_name(tenant)]
        assert judged == applicable == documented[system.level], tenant
        assert infos[tenants.tenant_name(tenant)].level == system.level
    assert {i.status for i in items} == {Status.PASS}


def test_a_planted_violation_fails_its_control_on_its_tenant_only(lab):
    plan = planner.run_program(lab)
    victim = next(r for r in plan.resources if r.type == T_RULE and plan.tenant_of(r) == "tthc")
    victim.inputs.update({"direction": "ingress", "protocol": "tcp", "portRangeMin": 22, "portRangeMax": 22,
                          "remoteIpPrefix": "0.0.0.0/0"})
    victim.inputs.pop("remoteGroupId", None)
    items, _ = _judge(lab, plan)
    failing = {(i.host, i.control) for i in items if i.status != Status.PASS}
    assert failing == {(tenants.tenant_name("tthc"), "PDC-CLD-001")}
    (item,) = [i for i in items if i.status == Status.FAIL]
    assert "SSH" in item.reason and victim.name in item.evidence[0]


def test_a_finding_naming_no_resource_goes_to_the_system_it_names(lab, lab_plan):
    finding = planner.Violation("quotas-cover-plan", "", "", "system qlvb has no QuotaV2 quota resource")
    items, _ = tenants.tenant_items(lab, lab_plan, [finding], CATALOG, no_decisions())
    failing = {(i.host, i.control) for i in items if i.status == Status.FAIL}
    assert failing == {(tenants.tenant_name("qlvb"), "PDC-CLD-006")}


def test_a_finding_about_no_tenant_counts_against_every_tenant(lab, lab_plan):
    finding = planner.Violation("db-zone-not-exposed", "", "", "a stack-wide finding")
    items, _ = tenants.tenant_items(lab, lab_plan, [finding], CATALOG, no_decisions())
    failing = {i.host for i in items if i.status == Status.FAIL}
    assert failing == {tenants.tenant_name(t) for t in tenants.planned_tenants(lab_plan)}
