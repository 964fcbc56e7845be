"""`pdc wan` against the lab's emulated WAN: push, idempotence, verify, faults and rollback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pdc.lab.switchsim.store import SwitchConfig
from pdc.wan import diff, profiles
from tests.integration.wan.conftest import ENV, pdc, report

pytestmark = pytest.mark.lab

SECRET_KEYS = ("password", "secret", "snmp_auth", "snmp_priv")


def _no_secret(text: str, creds: dict) -> None:
    for key in SECRET_KEYS:
        assert creds[key] not in text, f"{key} leaked"


def test_push_then_diff_is_clean_and_second_push_changes_nothing(fresh_wan, lab_env, tmp_path):
    first = pdc("wan", "push", ENV(lab_env), "--apply", "--yes", "--quiet", "--report", str(tmp_path / "push1.json"))
    assert first.returncode == 0, first.stderr[-3000:]
    data = report(tmp_path / "push1.json")
    assert data["summary"] == {"ok": len(lab_env.sites)}
    assert all(d["lines"] >= 40 for d in data["devices"])

    diffed = pdc("wan", "diff", ENV(lab_env), "--report", str(tmp_path / "diff.json"))
    assert diffed.returncode == 0, diffed.stdout[-3000:] + diffed.stderr[-3000:]
    assert report(tmp_path / "diff.json")["summary"] == {"unchanged": len(lab_env.sites)}

    second = pdc("wan", "push", ENV(lab_env), "--apply", "--yes", "--quiet", "--report", str(tmp_path / "push2.json"))
    assert second.returncode == 0
    assert report(tmp_path / "push2.json")["summary"] == {"unchanged": len(lab_env.sites)}

    verified = pdc("wan", "verify", ENV(lab_env), "--quiet", "--report", str(tmp_path / "verify.json"))
    assert verified.returncode == 0
    assert report(tmp_path / "verify.json")["summary"] == {"compliant": len(lab_env.sites)}

    # nothing secret in what the runs printed or wrote: output, reports, backups, session logs
    _no_secret(first.stdout + first.stderr + diffed.stdout + diffed.stderr, fresh_wan)
    backups = list(Path(data["backups"]).glob("*.cfg"))
    assert sorted(p.stem for p in backups) == sorted(s.id for s in lab_env.sites)
    logs = list(Path(data["sessions"]).glob("*.log"))
    # each device's session, and the new one that proved a login and confirmed the revert timer
    expected = sorted(f"{s.id}{kind}.log" for s in lab_env.sites for kind in ("", ".confirm"))
    assert sorted(p.name for p in logs) == expected
    assert any("secret 9 <redacted>" in p.read_text() for p in logs)  # pattern redaction of the hash
    for path in backups + logs + [tmp_path / "push1.json", tmp_path / "diff.json"]:
        _no_secret(path.read_text(errors="replace"), fresh_wan)


def test_dry_run_and_diff_report_changes_without_touching(fresh_wan, lab_env, tmp_path):
    dry = pdc("wan", "push", ENV(lab_env), "--limit", "dc", "--quiet", "--report", str(tmp_path / "dry.json"))
    assert dry.returncode == 0
    assert report(tmp_path / "dry.json")["summary"] == {"planned": 1}
    diffed = pdc("wan", "diff", ENV(lab_env), "--limit", "commune", "--quiet", "--report", str(tmp_path / "d.json"))
    assert diffed.returncode == 2
    assert report(tmp_path / "d.json")["summary"] == {"changes": len(render_limit(lab_env, "commune"))}
    verified = pdc("wan", "verify", ENV(lab_env), "--limit", "dc", "--quiet", "--report", str(tmp_path / "v.json"))
    assert verified.returncode == 1
    assert report(tmp_path / "v.json")["summary"] == {"drift": 1}

    backup = pdc("wan", "backup", ENV(lab_env), "--quiet", env={"PDC_WAN_BACKUPS": str(tmp_path / "backups")})
    assert backup.returncode == 0, backup.stderr[-2000:]
    latest = tmp_path / "backups" / lab_env.name / "latest"
    files = sorted(latest.glob("*.cfg"))
    assert sorted(f.stem for f in files) == sorted(s.id for s in lab_env.sites)
    assert files[0].read_text().startswith("!\nversion")  # no byte-count header: diffable
    for path in files:
        _no_secret(path.read_text(), fresh_wan)


def render_limit(env, limit):
    from pdc.wan import render

    return render.select(env, limit)


FAULTS = {
    "nam-sach-01": ("refuse", True, "unreachable", "untouched: connection"),
    "nam-sach-02": ("reject_login", True, "unreachable", "untouched: login rejected"),
    "nam-sach-03": ("reject_command", "ntp source Loopback0", "failed-rolled-back",
                    "device refused 'ntp source Loopback0'"),
    "nam-sach-04": ("drop_after", 7, "failed-rolled-back", "no answer from the device"),
}


def test_each_fault_leaves_its_device_as_it_was_and_the_others_succeed(fresh_wan, lab_env, tmp_path):
    from pdc.lab import switches

    for site, (kind, value, _, _) in FAULTS.items():
        switches.set_fault(lab_env, site, {kind: value})
    result = pdc("wan", "push", ENV(lab_env), "--apply", "--yes", "--quiet", "--report", str(tmp_path / "push.json"))
    assert result.returncode == 1
    data = report(tmp_path / "push.json")
    by_site = {d["site"]: d for d in data["devices"]}
    for site, (_, _, status, reason) in FAULTS.items():
        assert by_site[site]["status"] == status, by_site[site]
        assert by_site[site]["reason"].startswith(reason), by_site[site]["reason"]
    # a refused line leaves the session alive: restored over it; a dropped session: over a new one
    assert by_site["nam-sach-03"]["reason"].endswith("restored to the pre-push config over the same session and saved")
    assert by_site["nam-sach-03"]["details"]["rollback"] == "over the same session"
    assert "restored to the pre-push config over a new session (the first one was dead" in \
        by_site["nam-sach-04"]["reason"]
    others = [s.id for s in lab_env.sites if s.id not in FAULTS]
    assert all(by_site[s]["status"] == "ok" for s in others)
    assert data["failed"] == sorted(FAULTS)
    assert data["summary"] == {"ok": len(others), "unreachable": 2, "failed-rolled-back": 2}

    # read every faulty device back: still exactly its day-0 (pre-push) config
    for site in FAULTS:
        switches.set_fault(lab_env, site, None)
    from pdc.wan import connect
    from pdc.wan.credentials import load

    creds = load(lab_env)
    targets = connect.targets(lab_env, [lab_env.site(s) for s in FAULTS])
    for site, target in targets.items():
        conn = connect.connect(target, creds)
        running = connect.running_config(conn)
        startup = connect.startup_config(conn)
        conn.disconnect()
        day0 = SwitchConfig(site, list(profiles.profile(lab_env.site(site)).ports)).render()
        assert diff.change(running, day0).empty, site
        assert diff.change(day0, running).empty, site
        assert diff.saved_equals_running(running, startup), site  # the rollback saved what it restored

    # the second run (faults cleared) finishes the job: only the four devices change
    again = pdc("wan", "push", ENV(lab_env), "--apply", "--yes", "--quiet", "--report", str(tmp_path / "again.json"))
    assert again.returncode == 0
    assert report(tmp_path / "again.json")["summary"] == {"ok": 4, "unchanged": len(others)}
    json.dumps(data)
