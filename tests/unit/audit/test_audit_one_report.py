"""One report for the lab: hosts' results (none here), every switch's PDC-NET results on its rendered
config, and every planned tenant's PDC-CLD results, grouped by system and level in JSON and HTML."""

from __future__ import annotations

import json

from pdc import plan as planner
from pdc.applicability import no_decisions
from pdc.audit import runner, tenants, wan
from pdc.audit.report import summary_by_system, write_reports
from pdc.controls import load_catalog
from pdc.environment import load_environment
from pdc.wan import credentials, render
from tests.unit.wan.conftest import SECRETS


def test_the_lab_report_holds_every_switch_and_every_planned_tenant(tmp_path, monkeypatch):
    for key, value in SECRETS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("PDC_WAN_VAULT", raising=False)
    lab, catalog, decisions = load_environment("lab"), load_catalog(), no_decisions()
    configs = render.render(lab, credentials.load(lab))
    results = runner.empty_results(lab)
    for site in lab.sites:
        results.merge(wan.device_items(lab, site, configs[site.id], catalog, decisions),
                      {site.id: wan.device_info(lab, site)})
    plan = planner.run_program(lab)
    results.merge(*tenants.tenant_items(lab, plan, planner.check_policies(lab, plan), catalog, decisions))
    write_reports(results, tmp_path)

    data = json.loads((tmp_path / "audit.json").read_text())
    kinds = {h["name"]: h["kind"] for h in data["hosts"]}
    assert sorted(n for n, k in kinds.items() if k == "wan") == sorted(s.id for s in lab.sites)
    assert sorted(n for n, k in kinds.items() if k == "tenant") == sorted(
        tenants.tenant_name(t) for t in tenants.planned_tenants(plan))
    controls_of: dict[str, set] = {}
    for r in data["results"]:
        controls_of.setdefault(r["host"], set()).add(r["control"])
    for name, kind in kinds.items():
        prefix = {"wan": "PDC-NET-", "tenant": "PDC-CLD-"}[kind]
        assert controls_of[name] and all(c.startswith(prefix) for c in controls_of[name]), name
    assert data["passed"]

    rows = {(row["system"], row["level"]): row for row in summary_by_system(results)}
    assert sorted(rows[(wan.WAN_SYSTEM, max(s.level for s in lab.systems))]["hosts"]) == sorted(s.id for s in lab.sites)
    for system in lab.systems:
        assert tenants.tenant_name(system.id) in rows[(system.id, system.level)]["hosts"]
    html = (tmp_path / "audit.html").read_text()
    assert f"{len(lab.sites)} switch(es)" in html and f"{len(lab.systems)} tenant(s)" in html
