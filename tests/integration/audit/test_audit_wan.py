"""`pdc audit --wan` on the lab's emulated WAN: after a push every switch passes its applicable
PDC-NET controls; a line changed by hand on one switch fails the right control, and only it."""

from __future__ import annotations

import json

import pytest

from pdc.applicability import ACTIVE, no_decisions, verdicts, wan_target
from pdc.controls import load_catalog
from pdc.wan import connect
from pdc.wan.credentials import load
from tests.integration.wan.conftest import ENV, fresh_wan, pdc  # noqa: F401 - fresh_wan: the fixture

pytestmark = pytest.mark.lab

CHANGED = "nam-sach-02"


def _audit(lab_env, report_dir):
    run = pdc("audit", ENV(lab_env), "--no-hosts", "--wan", "--brief", "--report-dir", str(report_dir))
    data = json.loads((report_dir / "audit.json").read_text())
    by_device = {}
    for r in data["results"]:
        by_device.setdefault(r["host"], {})[r["control"]] = r["status"]
    return run, data, by_device


def _change_by_hand(lab_env, site_id, lines):
    target = connect.targets(lab_env, [lab_env.site(site_id)])[site_id]
    conn = connect.connect(target, load(lab_env))
    try:
        conn.send_config_set(lines)
    finally:
        conn.disconnect()


@pytest.mark.usefixtures("fresh_wan")
def test_every_switch_passes_then_a_hand_change_fails_its_control(lab_env, tmp_path):
    pushed = pdc("wan", "push", ENV(lab_env), "--apply", "--yes", "--quiet", "--report", str(tmp_path / "push.json"))
    assert pushed.returncode == 0, pushed.stderr[-3000:]

    run, data, by_device = _audit(lab_env, tmp_path / "clean")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    catalog = load_catalog()
    for site in lab_env.sites:
        applicable = [cid for cid, v in verdicts(wan_target(lab_env, site), catalog, no_decisions()).items()
                      if v.status == ACTIVE]
        assert applicable and by_device[site.id] == dict.fromkeys(applicable, "pass"), site.id
    assert {h["kind"] for h in data["hosts"]} == {"wan"}

    _change_by_hand(lab_env, CHANGED, ["ip http server"])
    run, data, by_device = _audit(lab_env, tmp_path / "changed")
    assert run.returncode == 1
    failing = {(host, cid) for host, controls in by_device.items() for cid, s in controls.items() if s != "pass"}
    assert failing == {(CHANGED, "PDC-NET-008")}
    evidence = [i for r in data["results"] if r["host"] == CHANGED and r["control"] == "PDC-NET-008"
                for i in r["items"]][0]
    assert any("ip http server" in line for line in evidence["evidence"])
