"""Staged rollout, shards and their merged report, and drift against the config archive, on the lab's
emulated WAN (12 switches: the DC, two districts, nine communes)."""

from __future__ import annotations

import json
import subprocess

import pytest

from pdc.lab.switchsim.store import SwitchConfig
from pdc.wan import connect, diff, merge, profiles
from pdc.wan.credentials import load
from tests.integration.wan.conftest import ENV, pdc, report

pytestmark = pytest.mark.lab

REFUSED = ("reject_command", "ntp source Loopback0")


@pytest.fixture
def private(tmp_path):
    """Backups and the config archive of these runs in the test's own folder."""
    return {"PDC_WAN_BACKUPS": str(tmp_path / "backups"), "PDC_WAN_ARCHIVE": str(tmp_path / "archive")}


def _push(lab_env, report_path, *args, env=None):
    return pdc("wan", "push", ENV(lab_env), "--apply", "--yes", "--quiet", "--no-session-logs", "--report",
               str(report_path), *args, env=env)


def _read(lab_env, sites):
    creds = load(lab_env)
    out = {}
    for site_id, target in connect.targets(lab_env, [lab_env.site(s) for s in sites]).items():
        conn = connect.connect(target, creds)
        try:
            out[site_id] = (connect.running_config(conn), connect.startup_config(conn))
        finally:
            conn.disconnect()
    return out


def _assert_day0(lab_env, sites):
    """Each device still holds exactly its day-0 config, saved: nothing was sent to it."""
    for site_id, (running, startup) in _read(lab_env, sites).items():
        day0 = SwitchConfig(site_id, list(profiles.profile(lab_env.site(site_id)).ports)).render()
        assert diff.change(running, day0).empty and diff.change(day0, running).empty, site_id
        assert diff.saved_equals_running(running, startup), site_id


def test_a_canary_failure_stops_the_run_and_leaves_every_other_device_untouched(fresh_wan, lab_env, tmp_path,
                                                                                 private):
    from pdc.lab import switches

    canary = "tp-hai-duong-01"  # leaves first: the first commune of sites.yml is the first device
    switches.set_fault(lab_env, canary, dict([REFUSED]))
    run = _push(lab_env, tmp_path / "push.json", "--canary", "1", env=private)
    assert run.returncode == 1, run.stderr[-3000:]
    data = report(tmp_path / "push.json")
    by_site = {d["site"]: d for d in data["devices"]}
    assert by_site[canary]["status"] == "failed-rolled-back"
    assert by_site[canary]["details"]["stage"] == "canary"
    others = [s.id for s in lab_env.sites if s.id != canary]
    for site in others:
        assert by_site[site]["status"] == "not-attempted", by_site[site]
        assert by_site[site]["reason"] == f"not started: canary {canary} failed (failed-rolled-back)"
    assert data["summary"] == {"failed-rolled-back": 1, "not-attempted": len(others)}
    assert data["stopped"].startswith(f"canary {canary} failed")
    assert data["rollout"]["canary"] == [canary]
    switches.set_fault(lab_env, canary, None)
    _assert_day0(lab_env, [s.id for s in lab_env.sites])  # the canary rolled back; no other device touched


def test_max_fail_stops_a_run_in_which_three_of_twelve_devices_fail(fresh_wan, lab_env, tmp_path, private):
    from pdc.lab import switches

    # leaves first in batches of 4: [tp-hai-duong-01..04] [nam-sach-01..04] [nam-sach-05, both districts] [dc]
    faults = {"tp-hai-duong-02": dict([REFUSED]), "nam-sach-01": {"reject_login": True},
              "nam-sach-03": {"drop_after": 7}}
    for site, fault in faults.items():
        switches.set_fault(lab_env, site, fault)
    run = _push(lab_env, tmp_path / "push.json", "--batch", "4", "--max-fail", "10%", env=private)
    assert run.returncode == 1, run.stderr[-3000:]
    data = report(tmp_path / "push.json")
    by_site = {d["site"]: d for d in data["devices"]}
    assert [d["site"] for d in data["devices"]][:8] == [f"tp-hai-duong-0{i}" for i in range(1, 5)] + \
        [f"nam-sach-0{i}" for i in range(1, 5)]
    # batch 1: one failure (1/12, under 10%) and the run goes on; batch 2 (in flight at once) brings two more
    assert data["failed"] == sorted([*faults, "nam-sach-05", "tp-hai-duong", "nam-sach", "dc"])
    assert {s for s, d in by_site.items() if d["status"] in ("failed-rolled-back", "unreachable")} == set(faults)
    pushed = {s for s, d in by_site.items() if d["status"] == "ok"}
    assert pushed == {"tp-hai-duong-01", "tp-hai-duong-03", "tp-hai-duong-04", "nam-sach-02", "nam-sach-04"}
    skipped = {s for s, d in by_site.items() if d["status"] == "not-attempted"}
    assert skipped == {"nam-sach-05", "tp-hai-duong", "nam-sach", "dc"}
    # the second failure (2/12) crossed 10%: nothing started after it; the third was already in flight
    assert data["stopped"] == "2 of 12 device(s) failed (17%), more than --max-fail 10%"
    assert all(by_site[s]["reason"] == f"not started: {data['stopped']}" for s in skipped)
    assert data["summary"] == {"ok": 5, "failed-rolled-back": 2, "unreachable": 1, "not-attempted": 4}
    for site in faults:
        switches.set_fault(lab_env, site, None)
    _assert_day0(lab_env, sorted(skipped | set(faults)))


def test_four_shards_cover_every_device_once_and_merge_into_the_single_run_report(fresh_wan, lab_env, tmp_path,
                                                                                    private):
    from pdc.lab import switches

    faulty = "nam-sach-03"
    switches.set_fault(lab_env, faulty, dict([REFUSED]))
    single = _push(lab_env, tmp_path / "single.json", env=private)
    assert single.returncode == 1, single.stderr[-3000:]

    switches.restart(lab_env)  # every switch back at day 0 for the sharded run
    switches.set_fault(lab_env, faulty, dict([REFUSED]))
    shards, seen = [], []
    for k in range(1, 5):
        path = tmp_path / f"shard-{k}.json"
        run = _push(lab_env, path, "--shard", f"{k}/4", env=private)
        assert run.returncode in (0, 1), run.stderr[-3000:]
        shards.append(path)
        seen += [d["site"] for d in report(path)["devices"]]
        assert report(path)["selection"]["shard"] == f"{k}/4"
    assert sorted(seen) == sorted(s.id for s in lab_env.sites)  # every device, exactly once

    merged = tmp_path / "merged.json"
    joined = pdc("wan", "report", "merge", *map(str, shards), "--out", str(merged))
    assert joined.returncode == 0, joined.stderr
    assert merge.comparable(report(merged)) == merge.comparable(report(tmp_path / "single.json"))
    assert report(merged)["summary"] == {"ok": 11, "failed-rolled-back": 1}

    # a shard missing, or the same shard twice: refused, nothing written
    again = pdc("wan", "report", "merge", *map(str, shards[:3]), str(shards[0]), "--out", str(tmp_path / "x.json"))
    assert again.returncode == 1 and "overlaps" in again.stderr and not (tmp_path / "x.json").exists()
    short = pdc("wan", "report", "merge", *map(str, shards[:3]), "--out", str(tmp_path / "x.json"))
    assert short.returncode == 1 and "4/4" in short.stderr and "missing" in short.stderr


def _changed_lines(unified: str, text: str) -> list[str]:
    return [line for line in unified.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")
            and text in line]


def _by_hand(lab_env, site_id, lines, save):
    target = connect.targets(lab_env, [lab_env.site(site_id)])[site_id]
    conn = connect.connect(target, load(lab_env))
    try:
        conn.send_config_set(lines)
        if save:
            conn.save_config()
    finally:
        conn.disconnect()


def test_drift_finds_a_hand_change_against_the_archive_and_an_unsaved_one(fresh_wan, lab_env, tmp_path, private):
    pushed = _push(lab_env, tmp_path / "push.json", env=private)
    assert pushed.returncode == 0, pushed.stderr[-3000:]
    archive = tmp_path / "archive" / lab_env.name
    files = sorted(p.name for p in archive.glob("*.cfg"))
    assert files == sorted(f"{s.id}.cfg" for s in lab_env.sites)  # one file per device, no date in a name
    log = subprocess.run(["git", "-C", str(archive), "log", "--format=%s"], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert len(log) == 2 and log[0].endswith(": after") and log[1].endswith(": before")
    for path in archive.glob("*.cfg"):
        text = path.read_text()
        assert all(fresh_wan[k] not in text for k in ("password", "secret", "snmp_auth", "snmp_priv"))

    clean = pdc("wan", "drift", ENV(lab_env), "--quiet", "--report", str(tmp_path / "d0.json"), env=private)
    assert clean.returncode == 0, clean.stdout[-2000:] + clean.stderr[-3000:]
    assert report(tmp_path / "d0.json")["summary"] == {"compliant": len(lab_env.sites)}

    _by_hand(lab_env, "nam-sach-02", ["ip http server"], save=True)  # saved: only the archive sees it
    _by_hand(lab_env, "nam-sach-04", ["ip domain-lookup"], save=False)  # not saved
    found = pdc("wan", "drift", ENV(lab_env), "--report", str(tmp_path / "d1.json"), env=private)
    assert found.returncode == 2, found.stderr[-3000:]
    by_site = {d["site"]: d for d in report(tmp_path / "d1.json")["devices"]}
    changed = by_site["nam-sach-02"]
    assert changed["status"] == "drift" and changed["details"]["findings"] == ["intended", "archive"]
    # the template says `no ip http server`: the hand change removed that line
    assert "-no ip http server" in changed["details"]["archive_diff"].splitlines()
    assert changed["details"]["archive_diff"].startswith("--- archived 20")
    assert "changed since the config archived at" in changed["reason"]
    assert "no ip http server" in changed["details"]["remediation"]
    unsaved = by_site["nam-sach-04"]
    assert unsaved["details"]["findings"] == ["intended", "archive", "unsaved"]
    assert _changed_lines(unsaved["details"]["unsaved_diff"], "ip domain-lookup")
    assert _changed_lines(unsaved["details"]["archive_diff"], "ip domain-lookup")
    assert {s for s, d in by_site.items() if d["status"] == "compliant"} == \
        {s.id for s in lab_env.sites} - {"nam-sach-02", "nam-sach-04"}
    assert "-no ip http server" in found.stdout.splitlines()  # the diff is printed too

    # a backup records what the devices hold now: the archive no longer differs, the unsaved change still is
    assert pdc("wan", "backup", ENV(lab_env), "--quiet", env=private).returncode == 0
    after = pdc("wan", "drift", ENV(lab_env), "--quiet", "--report", str(tmp_path / "d2.json"), env=private)
    assert after.returncode == 2
    by_site = {d["site"]: d for d in report(tmp_path / "d2.json")["devices"]}
    assert by_site["nam-sach-02"]["details"]["findings"] == ["intended"]
    assert by_site["nam-sach-04"]["details"]["findings"] == ["intended", "unsaved"]
    json.dumps(by_site)
