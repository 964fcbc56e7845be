"""Lab lifecycle on a small environment: idempotent up, clean down, recovery after a killed up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pdc.lab import cgroup, hosts, netns, nspawn
from pdc.lab.state import LabState, find_pids, mounts_under, read_pid

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def lab(small_env):
    if os.geteuid() != 0:
        pytest.skip("the lab needs root")
    state = LabState(small_env.name)
    hosts.down(small_env)  # a previous interrupted session
    yield state
    hosts.down(small_env)
    assert_clean(small_env, state)


def nspawn_pids(env, state) -> dict[str, int]:
    return {h.name: read_pid(nspawn.paths_of(state, h.name)["pid"]) for h in env.hosts}


def all_reachable(env) -> bool:
    return all(item["reachable"] for item in hosts.status(env))


def status_command(env) -> tuple[int, dict]:
    """`pdc lab status ENV --json`: its exit code and its members."""
    import json

    from click.testing import CliRunner

    from pdc.cli import main

    result = CliRunner().invoke(main, ["lab", "status", str(env.root), "--json"])
    return result.exit_code, json.loads(result.output)


def assert_clean(env, state: LabState) -> None:
    assert netns.listed(state.ns_prefix) == [], "no netns left"
    assert mounts_under(state.root) == [], "no overlay mounts left"
    assert find_pids(str(state.run)) == [], "no processes left"
    assert cgroup.pids(state) == [], "no process left in the lab's cgroups"
    assert not any((root / cgroup.lab_dir(state)).exists() for root in cgroup.hierarchies()), "no cgroups left"
    assert not netns.link_exists(state.uplink), "no link to the core left"
    routes = subprocess.run(["ip", "route", "show", str(env.address_plan.tenants)], capture_output=True,
                            text=True).stdout
    assert routes.strip() == "", "no route to the lab left"
    assert not state.run.exists(), "no run files left"
    assert not state.hosts_file.exists()


def test_up_is_idempotent_and_leaves_machine_sysctls_alone(small_env, lab):
    forwarding = Path("/proc/sys/net/ipv4/ip_forward").read_text()
    hosts.up(small_env)
    assert all_reachable(small_env)
    code, members = status_command(small_env)
    assert code == 0, "members not started (the switches here) are not failures"
    assert all(h["started"] and h["reachable"] for h in members["hosts"])
    assert not any(s["started"] for s in members["switches"])
    first = nspawn_pids(small_env, lab)
    trees = {Path(f"/proc/{pid}/cgroup").read_text() for pid in first.values()}
    assert len(trees) == len(first), "each container boots in a cgroup tree of its own"
    started = time.monotonic()
    hosts.up(small_env)
    assert time.monotonic() - started < 10
    assert nspawn_pids(small_env, lab) == first, "a second up restarts nothing"
    assert Path("/proc/sys/net/ipv4/ip_forward").read_text() == forwarding, "only the core netns forwards"
    core_forwarding = subprocess.run(["ip", "netns", "exec", lab.core_ns, "cat", "/proc/sys/net/ipv4/ip_forward"],
                                     capture_output=True, text=True).stdout.strip()
    assert core_forwarding == "1"


def test_down_removes_every_process_netns_mount_and_file(small_env, lab):
    hosts.up(small_env)
    pids = [p for p in nspawn_pids(small_env, lab).values() if p]
    hosts.down(small_env)
    assert_clean(small_env, lab)
    assert not any(Path(f"/proc/{p}").exists() and "nspawn" in Path(f"/proc/{p}/cmdline").read_text()
                   for p in pids)
    assert all(not item["reachable"] for item in hosts.status(small_env))
    assert status_command(small_env)[0] == 3, "nothing started"


def test_up_after_a_killed_up_recovers(small_env, lab):
    hosts.down(small_env)
    code = ("import sys; from pdc.environment import load_environment; from pdc.lab import hosts; "
            f"hosts.up(load_environment({str(small_env.root)!r}))")
    proc = subprocess.Popen([sys.executable, "-c", code])
    # kill it once it has started some containers but before it finished
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(nspawn_pids(small_env, lab).values()):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert netns.listed(lab.ns_prefix), "the killed up left state behind (the test needs it to)"
    hosts.up(small_env)
    assert all_reachable(small_env)
    hosts.down(small_env)
    assert_clean(small_env, lab)


def test_up_restarts_a_crashed_container(small_env, lab):
    hosts.up(small_env)
    victim = small_env.hosts[0].name
    pid = nspawn_pids(small_env, lab)[victim]
    os.kill(pid, signal.SIGKILL)  # nspawn gone; the container's own processes may linger
    hosts.up(small_env)
    assert nspawn_pids(small_env, lab)[victim] != pid
    assert all_reachable(small_env)


def test_down_after_a_killed_down_and_a_missing_record(small_env, lab):
    """down finds processes and netns by name and path, not only from its records."""
    hosts.up(small_env)
    for host in small_env.hosts:
        nspawn.paths_of(lab, host.name)["pid"].unlink()
    lab.hosts_file.unlink()
    hosts.down(small_env)
    assert_clean(small_env, lab)
