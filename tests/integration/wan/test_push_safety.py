"""`pdc wan push` safety on the lab's emulated WAN: anti-lockout, interrupts, unsaved configs."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from pdc import paths
from pdc.lab.switchsim.store import SwitchConfig
from pdc.wan import connect, diff, profiles
from tests.integration.wan.conftest import ENV, PDC, controller_entry, pdc, report

pytestmark = pytest.mark.lab



def _wildcard(entry: str) -> str:
    """A management entry as the IOS ACL names it (`10.99.0.0 0.0.0.3`)."""
    from ipaddress import IPv4Network

    net = IPv4Network(entry)
    return f"{net.network_address} {net.hostmask}"


def _configs(env, site_id: str) -> tuple[str, str]:
    from pdc.wan.credentials import load

    target = connect.targets(env, [env.site(site_id)])[site_id]
    conn = connect.connect(target, load(env))
    try:
        return connect.running_config(conn), connect.startup_config(conn)
    finally:
        conn.disconnect()


def _day0(env, site_id: str) -> str:
    return SwitchConfig(site_id, list(profiles.profile(env.site(site_id)).ports)).render()


def _same(a: str, b: str) -> bool:
    return diff.change(a, b).empty and diff.change(b, a).empty


def _push(env_arg: str, report_path: Path, *extra: str) -> subprocess.Popen:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PDC_WAN_")}
    return subprocess.Popen([*PDC, "wan", "push", env_arg, "--apply", "--yes", "--quiet", "--report",
                             str(report_path), *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=environ, cwd=paths.ROOT)


def _wait_for_log(log: Path, offset: int, needle: str, timeout: float = 60) -> None:
    """Until the emulated WAN's log (after `offset`) holds `needle`: the push has reached that point."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(log, errors="replace") as handle:
            handle.seek(offset)
            if needle in handle.read():
                return
        time.sleep(0.05)
    raise AssertionError(f"{needle!r} never appeared in {log}")


def test_a_change_that_cuts_the_controller_is_refused_untouched(fresh_wan, lab_env, without_controller, tmp_path):
    entry, me = controller_entry(lab_env)
    first = pdc("wan", "push", ENV(lab_env), "--limit", "dc", "--apply", "--yes", "--quiet")
    assert first.returncode == 0, first.stderr[-2000:]
    before = {site: _configs(lab_env, site)[0] for site in ("dc", "nam-sach-01")}

    refused = pdc("wan", "push", without_controller, "--limit", "dc,nam-sach-01", "--apply", "--yes", "--quiet",
                  "--report", str(tmp_path / "refused.json"))
    assert refused.returncode == 1
    by_site = {d["site"]: d for d in report(tmp_path / "refused.json")["devices"]}
    for site in ("dc", "nam-sach-01"):
        assert by_site[site]["status"] == "refused-lockout", by_site[site]
        reason = by_site[site]["reason"]
        assert reason.startswith("untouched: line vty 0 4: access-class VTY-MGMT in would refuse the controller "
                                 f"{me} "), reason
        assert "offending line: 'ip access-list standard VTY-MGMT" in reason
        assert _same(_configs(lab_env, site)[0], before[site]), f"{site} was changed"
    # dc already admitted the controller: the line that drops it is named
    assert "no " in by_site["dc"]["reason"] and _wildcard(entry) in by_site["dc"]["reason"].split("offending line")[1]

    dry = pdc("wan", "push", without_controller, "--limit", "dc", "--quiet", "--report", str(tmp_path / "dry.json"))
    assert report(tmp_path / "dry.json")["summary"] == {"refused-lockout": 1} and dry.returncode == 1

    # pushed anyway (--allow-lockout), the device's own revert undoes it: tests/integration/wan/test_revert.py


def switches_log(env) -> str:
    from pdc.lab import switches

    return switches.Paths(env).log.read_text(errors="replace")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_push_finishes_the_devices_in_flight_and_starts_no_other(signum, fresh_wan, lab_env, tmp_path):
    from pdc.lab import switches

    for site in lab_env.sites:
        switches.set_fault(lab_env, site.id, {"save_delay": 1.5})  # each device takes 1.5 s more
    log = switches.Paths(lab_env).log
    offset = log.stat().st_size
    proc = _push(ENV(lab_env), tmp_path / "push.json", "--workers", "2")
    _wait_for_log(log, offset, "write memory delayed")
    proc.send_signal(signum)
    proc.send_signal(signum)  # a second signal changes nothing: no device is left half-applied
    _, err = proc.communicate(timeout=120)
    name = signal.Signals(signum).name
    assert proc.returncode == 128 + signum, err[-2000:]
    assert f"stopped: interrupted by {name}" in err

    data = report(tmp_path / "push.json")
    assert data["stopped"] == f"interrupted by {name}"
    statuses = {d["site"]: d["status"] for d in data["devices"]}
    assert set(statuses.values()) <= {"ok", "failed-rolled-back", "unchanged", "not-attempted"}, statuses
    attempted = [s for s, st in statuses.items() if st != "not-attempted"]
    skipped = [s for s, st in statuses.items() if st == "not-attempted"]
    assert 1 <= len(attempted) <= 4 and skipped, statuses  # two workers: the first one or two rounds ran
    assert all(d["reason"] == f"not started: interrupted by {name}" for d in data["devices"] if d["site"] in skipped)

    for site in lab_env.sites:
        switches.set_fault(lab_env, site.id, None)
    for site in skipped:  # untouched
        assert _same(_configs(lab_env, site)[0], _day0(lab_env, site)), site
    verified = pdc("wan", "verify", ENV(lab_env), "--limit", ",".join(attempted), "--quiet", "--report",
                   str(tmp_path / "verify.json"))
    assert verified.returncode == 0, verified.stderr[-2000:]  # pushed and saved


def test_a_push_killed_before_the_save_is_found_unsaved_and_the_next_push_saves_it(fresh_wan, lab_env, tmp_path):
    from pdc.lab import switches

    switches.set_fault(lab_env, "dc", {"save_delay": 60})
    log = switches.Paths(lab_env).log
    offset = log.stat().st_size
    proc = _push(ENV(lab_env), tmp_path / "push.json", "--limit", "dc")
    _wait_for_log(log, offset, "dc: write memory delayed")
    proc.kill()
    proc.communicate(timeout=30)
    switches.set_fault(lab_env, "dc", None)
    running, startup = _configs(lab_env, "dc")
    assert not diff.saved_equals_running(running, startup)

    verified = pdc("wan", "verify", ENV(lab_env), "--limit", "dc", "--quiet", "--report", str(tmp_path / "v.json"))
    assert verified.returncode == 1
    device = report(tmp_path / "v.json")["devices"][0]
    assert device["status"] == "unsaved" and "differs from the startup config" in device["reason"]
    diffed = pdc("wan", "diff", ENV(lab_env), "--limit", "dc", "--quiet", "--report", str(tmp_path / "d.json"))
    assert diffed.returncode == 2
    assert report(tmp_path / "d.json")["summary"] == {"unsaved": 1}

    # the unsaved lines are all pdc's own: the next push saves them
    again = pdc("wan", "push", ENV(lab_env), "--limit", "dc", "--apply", "--yes", "--quiet", "--report",
                str(tmp_path / "again.json"))
    assert again.returncode == 0, again.stderr[-2000:]
    device = report(tmp_path / "again.json")["devices"][0]
    assert device["status"] == "ok" and "unsaved part of this very change" in device["reason"]
    assert diff.saved_equals_running(*_configs(lab_env, "dc"))


def test_foreign_unsaved_lines_leave_the_device_untouched(fresh_wan, lab_env, tmp_path):
    from pdc.wan.credentials import load

    target = connect.targets(lab_env, [lab_env.site("nam-sach-02")])["nam-sach-02"]
    conn = connect.connect(target, load(lab_env))
    # an engineer's unsaved changes pdc knows nothing of, one with a secret pdc never knew
    conn.send_config_set(["ntp server 192.0.2.1", "snmp-server community Foreign-Secret-42 RO"])
    conn.disconnect()
    before = _configs(lab_env, "nam-sach-02")[0]
    result = pdc("wan", "push", ENV(lab_env), "--limit", "nam-sach-02", "--apply", "--yes", "--quiet", "--report",
                 str(tmp_path / "push.json"))
    assert result.returncode == 1
    device = report(tmp_path / "push.json")["devices"][0]
    assert device["status"] == "unsaved" and "2 unsaved line(s)" in device["reason"]
    assert "Foreign-Secret-42" not in (tmp_path / "push.json").read_text() + result.stdout + result.stderr
    assert _same(_configs(lab_env, "nam-sach-02")[0], before)
