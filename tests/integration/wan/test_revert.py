"""The device reverts on its own (issue 16, Build 1, Cisco IOS) on the lab's emulated WAN.

pdc opens every change with `configure terminal revert timer 5` (minutes, always) and confirms it only
after a NEW session logs in. The emulator's minute is scaled for the lab by its own option, the fault
file's `revert_minute_seconds` (here 1 s): the product never knows."""

from __future__ import annotations

import re
import time

import pytest

from pdc.wan import connect, push, render
from pdc.wan.credentials import load
from tests.integration.wan.conftest import ENV, controller_entry, pdc, report
from tests.integration.wan.test_push_safety import _configs, _same, switches_log

pytestmark = pytest.mark.lab

SITES = ("dc", "nam-sach-01")
MINUTE = 1.0  # the emulator's seconds per IOS minute in these tests


def _scaled(env, *sites: str) -> None:
    from pdc.lab import switches

    for site in sites:
        switches.set_fault(env, site, {"revert_minute_seconds": MINUTE})


def _log_since(env, offset: int) -> str:
    return switches_log(env)[offset:]


def _pushed_normally(env, tmp_path, *sites: str) -> dict:
    out = pdc("wan", "push", ENV(env), "--limit", ",".join(sites), "--apply", "--yes", "--quiet", "--report",
              str(tmp_path / "first.json"))
    assert out.returncode == 0, out.stderr[-2000:]
    return report(tmp_path / "first.json")


def test_a_normal_push_confirms_and_nothing_reverts_later(fresh_wan, lab_env, tmp_path):
    _scaled(lab_env, *SITES)
    offset = len(switches_log(lab_env))
    data = _pushed_normally(lab_env, tmp_path, *SITES)
    assert data["summary"] == {"ok": 2}
    for device in data["devices"]:
        assert device["details"]["revert"].startswith("device-side revert") and "(timer 5 min)" in \
            device["details"]["revert"]
    after = {site: _configs(lab_env, site) for site in SITES}
    time.sleep(push.REVERT_MINUTES * MINUTE + 3)  # past the timer, had it not been confirmed
    for site in SITES:
        running, startup = _configs(lab_env, site)
        assert _same(running, after[site][0]) and _same(running, startup), f"{site} changed after the push"
        assert "archive\n path flash:pdc-archive\n maximum 5" in running.replace("\r", "")
    log = _log_since(lab_env, offset)
    assert len(re.findall(r"revert timer 5 min \(1.0s each\) armed", log)) == 2, log[-3000:]
    assert "revert timer expired" not in log
    again = pdc("wan", "verify", ENV(lab_env), "--limit", ",".join(SITES), "--quiet", "--report",
                str(tmp_path / "verify.json"))
    assert again.returncode == 0 and report(tmp_path / "verify.json")["summary"] == {"compliant": 2}


def test_a_change_that_drops_the_controller_from_the_vty_acl_is_reverted_by_the_device(
        fresh_wan, lab_env, without_controller, tmp_path):
    _, me = controller_entry(lab_env)
    _scaled(lab_env, *SITES)
    _pushed_normally(lab_env, tmp_path, *SITES)
    before = {site: _configs(lab_env, site) for site in SITES}
    offset = len(switches_log(lab_env))

    started = time.monotonic()
    out = pdc("wan", "push", without_controller, "--limit", ",".join(SITES), "--apply", "--yes", "--quiet",
              "--allow-lockout", "--report", str(tmp_path / "allowed.json"))
    elapsed = time.monotonic() - started
    assert out.returncode == 1, out.stderr[-2000:]
    data = report(tmp_path / "allowed.json")
    assert data["summary"] == {"reverted-by-device": 2}, data
    for device in data["devices"]:
        reason = device["reason"]
        assert "lockout guard overridden (--allow-lockout): line vty 0 4" in reason
        assert "a new session cannot log in after the change" in reason
        assert "the device reverted on its own" in reason and "its running config equals the backup" in reason
        assert "not confirmed" in device["details"]["revert"]
    log = _log_since(lab_env, offset)
    for site in SITES:
        assert f"{site}: refused {me} (access-class VTY-MGMT: deny any log)" in log  # the new session
        assert f"{site}: revert timer expired" in log
        running, startup = _configs(lab_env, site)  # the controller is back in
        assert _same(running, before[site][0]), f"{site} is not its backup"
        assert _same(startup, before[site][1]) and _same(running, startup)
    assert elapsed < 60, elapsed


def test_a_change_that_shuts_the_management_interface_is_reverted_by_the_device(fresh_wan, lab_env, tmp_path):
    site = "nam-sach-01"
    _scaled(lab_env, site)
    _pushed_normally(lab_env, tmp_path, site)
    before = _configs(lab_env, site)
    creds = load(lab_env)
    intended = render.render_site(lab_env, lab_env.site(site), creds)
    assert "\ninterface Loopback0\n" in intended
    shut = intended.replace("\ninterface Loopback0\n", "\ninterface Loopback0\n shutdown\n", 1)
    target = connect.targets(lab_env, [lab_env.site(site)])[site]
    offset = len(switches_log(lab_env))

    refused = push.push_device(push.Job(target, shut, creds, True, None, None))
    assert refused.status == "refused-lockout" and "Loopback0" in refused.reason, refused

    result = push.push_device(push.Job(target, shut, creds, True, None, tmp_path, allow_lockout=True))
    assert result.status == "reverted-by-device", result
    assert "a new session cannot log in after the change" in result.reason
    log = _log_since(lab_env, offset)
    assert f"Loopback0 holding {target.host} is shut down" in log
    assert f"{site}: revert timer expired" in log
    running, startup = _configs(lab_env, site)
    assert _same(running, before[0]) and _same(startup, before[1])
    assert (tmp_path / f"{site}.revert.log").exists()
