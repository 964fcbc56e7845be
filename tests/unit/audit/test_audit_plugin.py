"""The audit plugin end to end on synthetic checks over testinfra's local backend: statuses,
evidence, waivers (live and expired), exit codes, and the same results under xdist."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

CONFTEST = '''
import pytest
from pdc.audit import plugin

def pytest_addoption(parser):
    plugin.add_options(parser)

def pytest_configure(config):
    config.pluginmanager.register(plugin, "pdc-audit")

@pytest.fixture
def evidence(request):
    return lambda text: request.node.user_properties.append((plugin.EVIDENCE, text))
'''

CHECKS = '''
import pytest

@pytest.mark.control("PDC-SSH-003")
@pytest.mark.parametrize("item", ["a", "b"])
def test_passes(host, item, evidence):
    evidence(f"echo says {host.run('echo ok').stdout.strip()}")
    assert True

@pytest.mark.control("PDC-SSH-004")
def test_fails_with_expired_waiver(host, evidence):
    evidence("sshd -T: passwordauthentication yes")
    value = "yes"
    assert value == "no", f"sshd -T reports passwordauthentication {value}, expected no"

@pytest.mark.control("PDC-FW-003")
def test_fails_but_waived(host):
    assert False, "tcp/22 open to any"

@pytest.mark.control("PDC-SYS-001")
def test_not_applicable(host):
    pytest.skip("needs a real kernel (host is a container)")

@pytest.mark.control("PDC-TIM-002")
def test_errors(host):
    raise RuntimeError("chronyc exploded")
'''

WAIVERS = '''
waivers:
  - control: PDC-FW-003
    hosts: "loc*"
    reason: jump host migration, ticket SOC-42
    approver: CISO
    expires: 2026-12-31
  - control: PDC-SSH-004
    reason: legacy clients, cut over in October
    approver: CISO
    expires: 2026-10-31
'''


def run_suite(tmp_path: Path, *extra: str, select: str | None = None) -> tuple[int, dict]:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_synthetic.py").write_text(textwrap.dedent(CHECKS))
    (tmp_path / "waivers.yml").write_text(WAIVERS)
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\naddopts = --strict-markers\nmarkers =\n    control(id): catalog control\n")
    reports = tmp_path / "reports"
    cmd = [sys.executable, "-m", "pytest", str(tmp_path / "test_synthetic.py"), "-q", "-p", "no:cacheprovider",
           "--rootdir", str(tmp_path), "-c", str(tmp_path / "pytest.ini"), "--hosts=local://",
           "--pdc-report-dir", str(reports), "--pdc-waivers", str(tmp_path / "waivers.yml"),
           "--pdc-today", "2026-11-30", *extra]
    if select:
        cmd += ["-k", select]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert (reports / "audit.json").exists(), proc.stdout + proc.stderr
    return proc.returncode, json.loads((reports / "audit.json").read_text())


def statuses(report: dict) -> dict:
    return {(r["control"], r["host"]): r["status"] for r in report["results"]}


EXPECTED = {
    ("PDC-SSH-003", "local"): "pass",
    ("PDC-SSH-004", "local"): "fail",
    ("PDC-FW-003", "local"): "waived",
    ("PDC-SYS-001", "local"): "not_applicable",
    ("PDC-TIM-002", "local"): "error",
}


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    return run_suite(tmp_path_factory.mktemp("serial"))


def test_every_status_is_recorded(serial):
    code, report = serial
    assert code == 1
    assert statuses(report) == EXPECTED
    assert report["passed"] is False


def test_evidence_and_reasons(serial):
    _, report = serial
    by = {r["control"]: r for r in report["results"]}
    passing = by["PDC-SSH-003"]["items"]
    assert [i["item"] for i in passing] == ["a", "b"] and passing[0]["evidence"] == ["echo says ok"]
    failing = by["PDC-SSH-004"]["items"][0]
    assert failing["evidence"] == ["sshd -T: passwordauthentication yes",
                                   "sshd -T reports passwordauthentication yes, expected no"]
    assert failing["reason"].startswith("waiver expired on 2026-10-31: legacy clients")
    assert by["PDC-FW-003"]["reason"].startswith("waived until 2026-12-31: jump host migration")
    assert by["PDC-SYS-001"]["reason"] == "needs a real kernel (host is a container)"
    assert "chronyc exploded" in by["PDC-TIM-002"]["reason"]


def test_reports_written_and_junit_agrees(serial, tmp_path):
    _, report = serial
    assert {c["id"] for c in report["controls"]} >= set(c for c, _ in EXPECTED)


def test_waived_and_passing_only_exits_zero(tmp_path):
    code, report = run_suite(tmp_path, select="passes or waived or applicable")
    assert code == 0, report
    assert report["passed"] is True


def test_same_results_under_xdist(tmp_path, serial):
    code, report = run_suite(tmp_path, "-n", "2")
    assert code == 1
    assert statuses(report) == EXPECTED
    by = {r["control"]: r for r in report["results"]}
    assert by["PDC-SSH-004"]["items"][0]["reason"].startswith("waiver expired")
