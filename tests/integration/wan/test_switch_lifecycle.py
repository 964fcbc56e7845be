"""The emulated WAN's lifecycle: idempotent up, recovery after a killed process, clean down."""

from __future__ import annotations

import os
import signal
import stat
import time

import pytest

from pdc.lab import netns, switches
from pdc.lab.state import LabState, find_pids

pytestmark = pytest.mark.lab


def test_up_is_idempotent_recovers_after_a_kill_and_down_leaves_nothing(lab_switches, lab_env):
    paths = switches.Paths(lab_env)
    switches.up(lab_env)
    pid = int(paths.pid.read_text())
    switches.up(lab_env)
    assert int(paths.pid.read_text()) == pid  # second up: same process
    assert stat.S_IMODE(paths.credentials.stat().st_mode) == 0o600

    os.kill(pid, signal.SIGKILL)  # a crashed run: stale pid file, ports gone
    deadline = time.monotonic() + 5
    while pid in find_pids(paths.marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    switches.up(lab_env)
    assert int(paths.pid.read_text()) != pid
    status = switches.status(lab_env)
    assert [s["name"] for s in status] == [s.id for s in lab_env.sites]
    assert all(s["reachable"] for s in status), [s for s in status if not s["reachable"]]

    new_pid = int(paths.pid.read_text())
    switches.down(lab_env)
    assert find_pids(paths.marker) == []  # no process of ours left (found by command line, not pid file)
    assert new_pid not in find_pids("pdc.lab.switchsim.server")
    assert not paths.dir.exists()
    # the network goes too: the WAN netns (its addresses with it) and this machine's routes to it; with no
    # lab host up, the core that --wan-only brought up as well
    state = LabState(lab_env.name)
    assert not netns.exists(state.wan_ns)
    assert netns.wan_routes_left(state.uplink, switches.routed(lab_env)) == []
    if not state.read_hosts().get("hosts"):
        assert netns.listed(state.ns_prefix) == [] and not netns.link_exists(state.uplink)
    assert not any(s["reachable"] for s in switches.status(lab_env))
    switches.up(lab_env)  # leave it as the session fixture expects
