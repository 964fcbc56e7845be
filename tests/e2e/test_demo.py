"""The main job end to end: `make demo` on the lab exits 0 and its summary matches its reports."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from pdc import paths
from pdc.demo import step_seconds

REPORTS = paths.ROOT / "reports" / "demo"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root")


@pytest.fixture(scope="module")
def demo() -> subprocess.CompletedProcess:
    result = subprocess.run(["bash", str(paths.ROOT / "scripts" / "demo.sh")], cwd=paths.ROOT,
                            capture_output=True, text=True, check=False, timeout=3600,
                            env={**os.environ, "KEEP": "0", "COLUMNS": "200"})
    (paths.ROOT / "reports").mkdir(exist_ok=True)
    Path(paths.ROOT / "reports" / "demo.log").write_text(result.stdout + result.stderr, encoding="utf-8")
    return result


def load(name: str) -> dict:
    return json.loads((REPORTS / name).read_text(encoding="utf-8"))


def test_demo_exits_zero(demo):
    assert demo.returncode == 0, (demo.stdout + demo.stderr)[-5000:]


def test_summary_matches_the_reports(demo):
    out = demo.stdout
    lab_plan = load("plan-lab.json")["resources"]
    projects = [r for r in lab_plan if r["type"].startswith("openstack:identity/project")]
    assert f"{len(projects)} tenants, {len(lab_plan)} resources" in out

    devices = Counter(d["status"] for d in load("wan-push.json")["devices"])
    assert not {"failed-rolled-back", "failed-rollback-failed", "unreachable"} & set(devices)
    for status, n in devices.items():
        assert f"{n} {status}" in out

    after = load("audit-after/audit.json")
    assert after["passed"] is True
    statuses = Counter(r["status"] for r in after["results"])
    judged = statuses["pass"] + statuses["fail"] + statuses["error"]
    assert f"({statuses['pass']}/{judged})" in out
    before = Counter(r["status"] for r in load("audit-before/audit.json")["results"])
    assert before["fail"] > 0, "an unhardened lab must fail the audit"
    assert (REPORTS / "audit-after" / "audit.html").exists()

    # the summary step's own time is written when the lab-down step starts, after the summary printed
    steps = step_seconds(REPORTS / "steps.tsv")
    assert [name for name, _ in steps] == ["validate", "plan the tenants", "lab up", "WAN", "audit before hardening",
                                           "harden and configure the hosts", "audit after hardening", "summary"]
    assert f"time: {sum(seconds for _, seconds in steps[:-1])} s up to the summary" in out


def test_demo_leaves_no_lab_behind(demo):
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    assert "pdc-lab-" not in namespaces
    mounts = Path("/proc/mounts").read_text()
    assert "/lab/lab/" not in mounts
