"""The emulated devices on the lab network: their syslog, their NTP and their VTY ACL, for real.

The SOC collector and the NTP server are stand-ins (standin.py) in their own netns at the planned
addresses, on their zone's bridge in the core: a device's message or query crosses the core exactly as
it would to the real hosts. (The flow matrix proves the same against the real rsyslog and chrony.)
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import paramiko
import pytest

from pdc import flows
from pdc.lab import netns
from pdc.lab.state import LabState, kill_pids, netns_pids
from pdc.wan import connect
from pdc.wan.credentials import load
from tests.integration.wan.conftest import ENV, pdc, report

pytestmark = pytest.mark.lab
STANDIN = Path(__file__).with_name("standin.py")


class StandIns:
    def __init__(self, env, tmp: Path):
        self.env = env
        self.state = LabState(env.name)
        view = flows.flows(env)
        self.syslog = [s for s in view.servers("syslog") if s.host is not None]
        self.ntp = [s for s in view.servers("ntp") if s.host is not None]
        self.hosts = list(dict.fromkeys(s.host.name for s in self.syslog + self.ntp))
        self.out = {name: tmp / f"{name}.jsonl" for name in self.hosts}
        self.procs = []

    def ns(self, index: int) -> str:
        return f"{self.state.ns_prefix}standin.{index}"  # the dot: never a host's name

    def up(self) -> None:
        for i, name in enumerate(self.hosts):
            host = self.env.host(name)
            ns = self.ns(i)
            netns.add(ns)
            netns.attach_host(self.state.core_ns, ns, f"st{i}", host.address,
                              self.env.zone_subnet(host.system, host.zone))
            self.out[name].touch()
            proc = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, str(STANDIN), str(self.out[name])],
                                    stdout=subprocess.PIPE, text=True)
            assert proc.stdout.readline().strip() == "ready"
            self.procs.append(proc)

    def down(self) -> None:
        for proc in self.procs:
            proc.kill()
            proc.wait()
        for i, _ in enumerate(self.hosts):
            kill_pids(netns_pids(netns.NETNS_DIR / self.ns(i)), timeout=0)
            netns.delete(self.ns(i))
            subprocess.run(["ip", "-n", self.state.core_ns, "link", "delete", f"st{i}"], capture_output=True)

    def received(self, name: str) -> list[dict]:
        return [json.loads(line) for line in self.out[name].read_text().splitlines() if line.strip()]

    def run_in(self, index: int, code: str) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", self.ns(index), sys.executable, "-c", code],
                              capture_output=True, text=True, timeout=30)


@pytest.fixture
def standins(fresh_wan, lab_env, tmp_path):
    from pdc.lab import hosts, switches

    # the lab's own collector and NTP server (unconfigured until site.yml) hold these addresses:
    # the hosts make way for the stand-ins (their down takes the core, so the WAN starts afresh)
    # and come back after (a warm start)
    hosts_were_up = bool(LabState(lab_env.name).read_hosts().get("hosts"))
    if hosts_were_up:
        hosts.down(lab_env)
        switches.restart(lab_env)
    stand = StandIns(lab_env, tmp_path)
    assert stand.syslog and stand.ntp, "the lab model declares a syslog and an NTP server"
    try:
        stand.up()
        yield stand
    finally:
        stand.down()
        if hosts_were_up:
            hosts.up(lab_env, with_vm=False)


def _wait(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    return predicate()


def test_a_push_logs_config_i_from_every_device_and_the_devices_get_ntp(standins, lab_env, tmp_path):
    pushed = pdc("wan", "push", ENV(lab_env), "--apply", "--yes", "--quiet", "--report", str(tmp_path / "push.json"))
    assert pushed.returncode == 0, pushed.stderr[-2000:]
    assert report(tmp_path / "push.json")["summary"] == {"ok": len(lab_env.sites)}
    me = str(netns.machine_address(lab_env.settings.lab.gateway_network))
    creds = load(lab_env)
    collector = standins.syslog[0].host.name

    def config_i() -> dict[str, str]:
        return {m["from"]: m["line"] for m in standins.received(collector) if "%SYS-5-CONFIG_I" in m["line"]}

    addresses = {str(lab_env.mgmt_ip(s)): s.id for s in lab_env.sites}
    got = _wait(lambda: set(addresses) <= set(config_i()) and config_i())
    missing = sorted(addresses[a] for a in set(addresses) - set(got or {}))
    assert not missing, f"no %SYS-5-CONFIG_I from {missing}"
    line = got[str(lab_env.mgmt_ip(lab_env.site("dc")))]
    assert line.startswith("<189>") and f"Configured from console by {creds.username} on vty0 ({me})" in line

    # the next login is logged too, with the controller's real address
    target = connect.targets(lab_env, [lab_env.site("dc")])["dc"]
    conn = connect.connect(target, creds)
    assert _wait(lambda: any("%SEC_LOGIN-5-LOGIN_SUCCESS" in m["line"] and f"[Source: {me}]" in m["line"]
                             and m["from"] == target.host for m in standins.received(collector)))

    # NTP: each device asked the configured server from its own address, and reports the answer
    ntp_server = str(standins.ntp[0].address)
    associations = _wait(lambda: (out := conn.send_command("show ntp associations")) and f"*~{ntp_server}" in out
                         and out)
    conn.disconnect()
    assert associations and f"*~{ntp_server}" in associations, associations

    # a wrong password is refused and logged
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # noqa: S507 - a throwaway probe, no secret sent
    with pytest.raises(paramiko.AuthenticationException):
        client.connect(target.host, username="intruder", password="wrong", look_for_keys=False,  # noqa: S106
                       allow_agent=False, timeout=5)
    client.close()
    assert _wait(lambda: any("%SEC_LOGIN-4-LOGIN_FAILED" in m["line"] and "[user: intruder]" in m["line"]
                             for m in standins.received(collector)))


def test_the_vty_acl_refuses_a_source_outside_management_before_the_banner(standins, lab_env):
    pushed = pdc("wan", "push", ENV(lab_env), "--limit", "dc", "--apply", "--yes", "--quiet")
    assert pushed.returncode == 0, pushed.stderr[-2000:]
    dc = str(lab_env.mgmt_ip(lab_env.site("dc")))
    # the collector's zone is not in shared_services.management: the device closes the TCP connection at once
    probe = standins.run_in(0, f"import socket; s = socket.create_connection(('{dc}', 22), timeout=5); "
                               "s.settimeout(5); print(repr(s.recv(100)))")
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() in ("b''",), probe.stdout  # closed: no SSH banner was ever sent
    # the controller (in management) still gets the banner
    import socket

    with socket.create_connection((dc, 22), timeout=5) as sock:
        sock.settimeout(5)
        assert sock.recv(100).startswith(b"SSH-2.0-")
