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


# ------------------------------------------------------------------ live tenants (--tenants --cloud)


def _live_result(lab, posture, drift=(), tenants_live=None):
    from pdc.cloud.audit import Result

    judged = sorted(s.id for s in lab.systems) if tenants_live is None else tenants_live
    return Result(lab.name, "prod", list(drift), posture, judged, [], {"planned": 0, "cloud": 0}, {})


def test_live_tenants_take_the_clouds_posture_and_drift(lab, lab_plan):
    from pdc.cloud.audit import FAIL, NOT_READ, PASS, Posture
    from pdc.cloud.compare import Drift

    planned, _ = _judge(lab, lab_plan)
    posture = []
    for item in planned:
        tenant = item.host.split("/")[0]
        status = NOT_READ if item.control in ("PDC-CLD-004", "PDC-CLD-005") else PASS
        if (tenant, item.control) == ("tthc", "PDC-CLD-001"):
            status = FAIL
        findings = ["[no-admin-ports-from-anywhere] tthc-dmz: ssh from 0.0.0.0/0"] if status == FAIL else []
        posture.append(Posture(tenant, item.control, status, findings))
    drift = [Drift("tthc", "not in plan", "SecGroupRule", "tthc-dmz: ingress IPv4 tcp 22 from 0.0.0.0/0",
                   "PDC-CLD-001"),
             Drift("qlvb", "changed", "QuotaV2", "network quota", "PDC-CLD-006", "securityGroup", 10, 5)]
    items, infos = tenants.live_tenant_items(lab, lab_plan, planner.check_policies(lab, lab_plan),
                                             _live_result(lab, posture, drift), CATALOG, no_decisions())
    assert len(items) == len(planned) and sorted(infos) == sorted(tenants.tenant_name(s.id) for s in lab.systems)
    by = {(i.host, i.control): i for i in items}
    fail = by[("tthc/tenant", "PDC-CLD-001")]
    assert (fail.item, fail.status) == ("cloud", Status.FAIL)
    assert "0.0.0.0/0" in fail.evidence[0] and "ssh from 0.0.0.0/0" in fail.reason
    assert "drift on cloud prod: not in plan SecGroupRule tthc-dmz: ingress IPv4 tcp 22 from 0.0.0.0/0" in fail.evidence
    quota = by[("qlvb/tenant", "PDC-CLD-006")]
    assert quota.status == Status.PASS and quota.item == "cloud"
    assert "drift on cloud prod: changed QuotaV2 network quota (securityGroup: plan 10, cloud 5)" in quota.evidence
    unread = [i for i in items if i.control in ("PDC-CLD-004", "PDC-CLD-005")]
    assert unread and all(i.item == "plan" and "judged on the plan" in i.evidence[0] for i in unread)
    assert all(i.status == Status.PASS for i in items if i is not fail)


def test_a_planned_tenant_missing_from_the_cloud_is_an_error(lab, lab_plan):
    from pdc.cloud.audit import PASS, Posture

    planned, _ = _judge(lab, lab_plan)
    live = [s.id for s in lab.systems if s.id != "qlvb"]
    posture = [Posture(i.host.split("/")[0], i.control, PASS) for i in planned if not i.host.startswith("qlvb/")]
    items, _ = tenants.live_tenant_items(lab, lab_plan, planner.check_policies(lab, lab_plan),
                                         _live_result(lab, posture, tenants_live=live), CATALOG, no_decisions())
    missing = [i for i in items if i.host == "qlvb/tenant"]
    assert missing and all(i.status == Status.ERROR and "cloud prod has no project for tenant qlvb" in i.reason
                           for i in missing)
    assert all(i.status == Status.PASS for i in items if i.host != "qlvb/tenant")
