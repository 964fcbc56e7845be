"""Pinned host keys against the emulated WAN: a changed key leaves its device untouched, an unknown
device is refused until `pdc wan trust` records it, and trust never silently replaces a key."""

from __future__ import annotations

import subprocess

import pytest

from pdc import paths
from pdc.lab.switchsim.store import SwitchConfig
from pdc.wan import connect, diff, known_hosts, profiles
from pdc.wan.credentials import load
from tests.integration.wan.conftest import ENV, PDC, pdc, report

pytestmark = pytest.mark.lab

CHANGED = "nam-sach-05"


def _running(lab_env, site_id: str) -> str:
    target = connect.targets(lab_env, [lab_env.site(site_id)])[site_id]
    conn = connect.connect(target, load(lab_env))
    try:
        return connect.running_config(conn)
    finally:
        conn.disconnect()


def _day0(lab_env, site_id: str) -> str:
    return SwitchConfig(site_id, list(profiles.profile(lab_env.site(site_id)).ports)).render()


def test_a_changed_host_key_leaves_the_device_untouched_and_reported(fresh_wan, lab_env, tmp_path):
    from pdc.lab import switches

    file = known_hosts.path(lab_env.name)
    assert file.stat().st_mode & 0o777 == 0o600  # the lab recorded its devices' keys
    pinned = file.read_text()
    switches.set_fault(lab_env, CHANGED, {"host_key_changed": True})

    pushed = pdc("wan", "push", ENV(lab_env), "--apply", "--yes", "--report", str(tmp_path / "push.json"))
    assert pushed.returncode == 1
    data = report(tmp_path / "push.json")
    by_site = {d["site"]: d for d in data["devices"]}
    assert by_site[CHANGED]["status"] == "host-key-mismatch"
    assert "nothing was sent" in by_site[CHANGED]["reason"]
    assert data["failed"] == [CHANGED]
    assert data["summary"] == {"ok": len(lab_env.sites) - 1, "host-key-mismatch": 1}
    assert "host-key-mismatch" in pushed.stderr  # in the printed table too

    # trust shows the change and refuses to record it without --replace
    trusted = pdc("wan", "trust", ENV(lab_env), "--limit", CHANGED, "--yes")
    assert trusted.returncode == 1
    assert "CHANGED" in trusted.stderr and "not replaced" in trusted.stderr
    assert file.read_text() == pinned

    # the device, read back with its own key again: still exactly its day-0 config
    switches.set_fault(lab_env, CHANGED, None)
    running = _running(lab_env, CHANGED)
    assert diff.change(running, _day0(lab_env, CHANGED)).empty
    assert diff.change(_day0(lab_env, CHANGED), running).empty


def test_trust_replace_records_the_new_key_after_confirmation(fresh_wan, lab_env):
    from pdc.lab import switches

    file = known_hosts.path(lab_env.name)
    switches.set_fault(lab_env, CHANGED, {"host_key_changed": True})
    before = file.read_text()
    declined = subprocess.run([*PDC, "wan", "trust", ENV(lab_env), "--limit", CHANGED, "--replace"], input="n\n",
                              capture_output=True, text=True, timeout=120, cwd=paths.ROOT)
    assert declined.returncode != 0 and "Record 1 host key(s)" in declined.stderr
    assert file.read_text() == before
    replaced = pdc("wan", "trust", ENV(lab_env), "--limit", CHANGED, "--replace", "--yes")
    assert replaced.returncode == 0, replaced.stderr[-2000:]
    target = connect.targets(lab_env, [lab_env.site(CHANGED)])[CHANGED]
    presented = known_hosts.fetch(target.host, target.port)
    assert known_hosts.fingerprint(presented) in replaced.stderr
    check = known_hosts.check(known_hosts.load(file), target.host, target.port, presented)
    assert check.status == "known"
    dry = pdc("wan", "push", ENV(lab_env), "--limit", CHANGED, "--quiet", "--report", "/dev/null")
    assert dry.returncode == 0, dry.stderr[-2000:]


def test_an_unknown_device_is_refused_until_trusted(fresh_wan, lab_env, tmp_path):
    keys = tmp_path / "state" / "known_hosts"
    env = {"PDC_WAN_KNOWN_HOSTS": str(keys)}
    refused = pdc("wan", "diff", ENV(lab_env), "--limit", "dc", "--quiet", "--report", str(tmp_path / "d.json"),
                  env=env)
    assert refused.returncode == 1
    device = report(tmp_path / "d.json")["devices"][0]
    assert device["status"] == "host-key-unknown"
    assert "pdc wan trust" in device["reason"]

    trusted = pdc("wan", "trust", ENV(lab_env), "--limit", "dc", "--yes", env=env)
    assert trusted.returncode == 0, trusted.stderr[-2000:]
    assert "SHA256:" in trusted.stderr and "1 key(s) recorded" in trusted.stderr
    assert keys.stat().st_mode & 0o777 == 0o600 and keys.parent.stat().st_mode & 0o777 == 0o700
    target = connect.targets(lab_env, [lab_env.site("dc")])["dc"]
    assert (target.host, target.port) == (str(lab_env.mgmt_ip(lab_env.site("dc"))), 22)  # the plan's address
    assert keys.read_text().startswith(f"{target.host} ssh-ed25519 ")

    again = pdc("wan", "diff", ENV(lab_env), "--limit", "dc", "--quiet", "--report", str(tmp_path / "d2.json"),
                env=env)
    assert again.returncode == 2  # reachable now: the day-0 device needs changes
    assert report(tmp_path / "d2.json")["summary"] == {"changes": 1}
