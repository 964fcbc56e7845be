"""The audit against real lab containers, in order: unhardened (fails, with ids and evidence;
waivers honoured), hardened by site.yml (every applicable control passes), then broken on
purpose behind the files' back (a daemon on an old config, a rule added live) -> fails."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import auditlab  # noqa: E402

pytestmark = pytest.mark.lab

WEB = "tthc-web-01"


def results(report_dir):
    return json.loads((report_dir / "audit.json").read_text())


def status(report, control, host):
    return next(r for r in report["results"] if r["control"] == control and r["host"] == host)


def test_unhardened_host_fails_with_control_ids_and_evidence(audit_env, tmp_path):
    (audit_env.root / "waivers.yml").write_text(
        "waivers:\n"
        f"  - {{control: PDC-SSH-007, hosts: '{WEB}', reason: banner text under legal review, "
        f"approver: CISO, expires: {dt.date.today() + dt.timedelta(days=30)}}}\n"
        "  - {control: PDC-SSH-005, hosts: 'tthc-*', reason: old exception for the portal team, "
        "approver: CISO, expires: 2020-01-01}\n")
    try:
        run = auditlab.pdc_audit(audit_env, tmp_path, "--limit", f"{WEB},tthc-db-01")
    finally:
        (audit_env.root / "waivers.yml").unlink()
    assert run.returncode == 1, run.stdout + run.stderr
    # the terminal lists control ids with the observed values
    assert f"PDC-SSH-004 on {WEB}" in run.stdout
    assert "passwordauthentication yes" in run.stdout
    report = results(tmp_path)
    assert report["passed"] is False
    assert status(report, "PDC-SSH-004", WEB)["status"] == "fail"
    methods = [i for i in status(report, "PDC-SSH-004", WEB)["items"] if i["item"] == "methods offered to a client"]
    assert "password" in " ".join(methods[0]["evidence"])  # live probe of the daemon
    # kernel controls are not applicable in a container, with the reason
    sysctl = status(report, "PDC-SYS-001", WEB)
    assert sysctl["status"] == "not_applicable" and "needs a real kernel" in sysctl["reason"]
    firewall = status(report, "PDC-FW-002", WEB)  # no ruleset loaded yet: the live check says so
    assert firewall["status"] == "fail"
    # waivers: a live one waives, an expired one stays a failure and says so
    assert status(report, "PDC-SSH-007", WEB)["status"] == "waived"
    expired = status(report, "PDC-SSH-005", WEB)
    assert expired["status"] == "fail" and "waiver expired on 2020-01-01" in expired["reason"]
    # service controls follow the host's roles
    assert status(report, "PDC-DB-001", WEB)["status"] == "not_applicable"
    assert status(report, "PDC-DB-001", "tthc-db-01")["status"] == "fail"
    for name in ("audit.html", "audit.junit.xml"):
        assert (tmp_path / name).stat().st_size > 1000


@pytest.fixture(scope="module")
def audit_env(private_lab):
    return private_lab.env


@pytest.fixture(scope="module")
def hardened(hardlab):
    assert hardlab.first.rc == 0, hardlab.first.tail()
    return hardlab.env


def test_after_site_every_applicable_control_passes(hardened, tmp_path):
    run = auditlab.pdc_audit(hardened, tmp_path)
    report = results(tmp_path)
    bad = [(r["control"], r["host"], [i["evidence"][-1:] or i["reason"] for i in r["items"]
                                      if i["status"] in ("fail", "error")])
           for r in report["results"] if r["status"] in ("fail", "error")]
    assert not bad, bad
    assert run.returncode == 0, run.stdout[-3000:]
    passed = [r for r in report["results"] if r["status"] == "pass"]
    assert len(passed) >= 6 * 40  # six containers, the catalog less its kernel controls (267 expected)
    assert all(h["score"] == 100.0 for h in report["hosts"])


def applied(env, tag: str):
    """Only one area on the web host (site.yml --tags): enough to break it behind the files' back."""
    run = auditlab.site(env, "--tags", tag, "--limit", WEB)
    assert run.returncode == 0, run.tail()
    return env


def test_sshd_running_an_old_config_fails_although_the_file_is_right(audit_env, tmp_path):
    hardened = applied(audit_env, "ssh")
    # make the daemon weak, then put the right file back without reloading
    broke = auditlab.remote(hardened, WEB, (
        "cp /etc/ssh/sshd_config.d/00-pdc.conf /root/00-pdc.conf.good && "
        "sed -i 's/^PasswordAuthentication no/PasswordAuthentication yes/' /etc/ssh/sshd_config.d/00-pdc.conf && "
        "systemctl reload ssh && sleep 1 && cp /root/00-pdc.conf.good /etc/ssh/sshd_config.d/00-pdc.conf"))
    assert broke.returncode == 0, broke.stderr
    try:
        run = auditlab.pdc_audit(hardened, tmp_path, "--limit", WEB)
        report = results(tmp_path)
        assert run.returncode == 1
        live = status(report, "PDC-SSH-001", WEB)
        assert live["status"] == "fail"
        item = next(i for i in live["items"] if i["item"] == "running daemon matches sshd -T")
        assert item["status"] == "fail" and "not on its current config" in item["evidence"][-1]
        offered = next(i for i in status(report, "PDC-SSH-004", WEB)["items"]
                       if i["item"] == "methods offered to a client")
        assert offered["status"] == "fail"
        # sshd -T reads the (right) file: that item alone would have passed
        setting = next(i for i in status(report, "PDC-SSH-004", WEB)["items"]
                       if i["item"] == "passwordauthentication")
        assert setting["status"] == "pass"
    finally:
        auditlab.remote(hardened, WEB, "systemctl reload ssh")


def test_a_rule_added_to_the_live_firewall_fails(audit_env, tmp_path):
    hardened = applied(audit_env, "firewall")
    added = auditlab.remote(hardened, WEB, "nft insert rule inet pdc input tcp dport 8080 accept")
    assert added.returncode == 0, added.stderr
    try:
        run = auditlab.pdc_audit(hardened, tmp_path, "--limit", WEB)
        assert run.returncode == 1
        fw = status(results(tmp_path), "PDC-FW-004", WEB)
        item = next(i for i in fw["items"] if i["item"] == "no other ports accepted")
        assert item["status"] == "fail" and "tcp/8080" in item["evidence"][-1]
    finally:
        auditlab.remote(hardened, WEB, "systemctl restart nftables")
