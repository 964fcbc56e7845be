"""The flow matrix, proven live: every declared flow is tried on the lab network, and what is not
declared is refused (issue 15).

On the integration tier's hardened private lab (site.yml has run: nftables, rsyslog, chrony,
unbound, nginx, PostgreSQL render from the flows) with its emulated WAN up and pushed:
- host to host across zones: each probe runs in the client host's own netns (so it leaves from the
  host's address), crosses the core and meets the server's nftables;
- this machine (the controller, on the gateway link in `management`) to the hosts and to every switch;
- each switch to the SOC collector (its %SYS-5-CONFIG_I lands in that device's file there) and to
  the NTP server (`show ntp associations` reports the answer);
- every pair of zones with no declared flow, and a sample of ports no flow declares, must be refused.

What the matrix expects is read from the flows (pdc.audit.expected, pdc.flows), never typed here.
A TCP flow counts as admitted when the server's kernel answered (connected, or reset when no
program listens on a declared port); "blocked" is the firewall's silent drop.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from pdc import flows
from pdc.audit import expected
from pdc.lab import netns, switches
from pdc.lab.state import LabState
from pdc.wan import connect
from pdc.wan.credentials import load
from tests.integration.wan.conftest import pdc, report

pytestmark = pytest.mark.lab
PROBE = Path(__file__).with_name("probe.py")
UNDECLARED_PORTS = (23, 3306, 6379, 8443)  # a sample; the test checks that no flow declares them
ADMITTED = ("open", "rst")
CONTROLLER = "controller"


@pytest.fixture(scope="module")
def matrix_lab(hardlab, tmp_path_factory):
    """The hardened private lab with its emulated WAN up and every device pushed."""
    env = hardlab.env
    switches.up(env)
    out = tmp_path_factory.mktemp("flows") / "push.json"
    pushed = pdc("wan", "push", str(env.root), "--apply", "--yes", "--quiet", "--report", str(out))
    assert pushed.returncode == 0, pushed.stderr[-2000:]
    hardlab.push = report(out)
    yield hardlab
    switches.down(env)


class Zones:
    """The lab's hosts that are up, grouped by system zone, plus the controller."""

    def __init__(self, lab):
        self.env = lab.env
        up = set(LabState(self.env.name).read_hosts().get("hosts", {}))
        self.hosts = [h for h in self.env.hosts if h.name in up]
        self.by_zone: dict[str, list] = {}
        for host in self.hosts:
            self.by_zone.setdefault(f"{host.system.id}/{host.zone}", []).append(host)
        self.controller = netns.machine_address(self.env.settings.lab.gateway_network)

    def client(self, zone: str):
        return self.by_zone[zone][0]

    def address(self, zone: str) -> IPv4Address:
        return self.controller if zone == CONTROLLER else self.client(zone).address

    def ns(self, zone: str) -> str | None:
        return None if zone == CONTROLLER else LabState(self.env.name).host_ns(self.client(zone).name)


def _run(ns: str | None, probes: list[dict]) -> list[str]:
    if not probes:
        return []
    cmd = [sys.executable, str(PROBE)]
    if ns is not None:
        cmd = ["ip", "netns", "exec", ns, *cmd]
    out = subprocess.run(cmd, input=json.dumps(probes), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


def _admitted(entry: expected.Expected, address: IPv4Address) -> bool:
    return entry.sources is None or any(address in n for n in entry.sources)


def _probe(entry: expected.Expected, server, token: str, client: str) -> dict:
    base = {"host": str(server.address), "port": entry.port}
    if entry.protocol == "tcp" and entry.service != "syslog":
        return {**base, "kind": "tcp"}
    if entry.service == "syslog":
        return {**base, "kind": "syslog", "proto": entry.protocol, "token": token,
                "hostname": f"flowprobe-{client.replace('/', '-')}"}
    if entry.service in ("ntp", "dns"):
        return {**base, "kind": entry.service}
    return {}


def test_the_flow_matrix_live(matrix_lab):
    lab = matrix_lab
    env = lab.env
    zones = Zones(lab)
    sources = [CONTROLLER, *sorted(zones.by_zone)]
    declared_ports = {(e.protocol, e.port) for h in env.hosts for e in expected.inbound(env, h)}
    assert not {("tcp", p) for p in UNDECLARED_PORTS} & declared_ports, "the sample must be undeclared"

    rows: list[tuple[str, str, str, str, str]] = []  # (from, to, what, result, verdict)
    failures: list[str] = []
    plan: dict[str, list[tuple[dict, str, str, str]]] = {z: [] for z in sources}  # probe, to, what, expected
    tokens: dict[str, tuple[str, str]] = {}  # token -> (from, to)

    for server in zones.hosts:
        server_zone = f"{server.system.id}/{server.zone}"
        entries = expected.inbound(env, server)
        for source in sources:
            if source == server_zone:
                continue
            address = zones.address(source)
            allowed = [e for e in entries if _admitted(e, address)]
            for entry in allowed:
                token = f"pdc-flow-{uuid.uuid4().hex[:12]}"
                probe = _probe(entry, server, token, source)
                if not probe:
                    continue
                if probe["kind"] == "syslog":
                    tokens[token] = (source, server.name)
                plan[source].append((probe, server.name, f"{entry.service} {entry.protocol}/{entry.port}", "admit"))
            tcp_allowed = {e.port for e in allowed if e.protocol == "tcp"}
            # an undeclared pair of zones: every TCP port the server offers anyone must be dropped
            refused = {e.port for e in entries if e.protocol == "tcp"} - tcp_allowed if not allowed else set()
            refused |= set(UNDECLARED_PORTS)  # and a sample no flow declares, for every pair
            for port in sorted(refused):
                plan[source].append(({"kind": "tcp", "host": str(server.address), "port": port}, server.name,
                                     f"tcp/{port}{' (pair undeclared)' if not allowed else ''}", "refuse"))

    for source, items in plan.items():
        results = _run(zones.ns(source), [p for p, *_ in items])
        for (probe, to, what, wanted), result in zip(items, results, strict=True):
            if probe["kind"] == "syslog" and result == "sent":
                continue  # judged below, by the collector's file
            ok = result in ADMITTED or result.startswith("answered stratum") or result == "answered" \
                if wanted == "admit" else result == "blocked"
            rows.append((source, to, what, result, "ok" if ok else "FAIL"))
            if not ok:
                failures.append(f"{source} -> {to} {what}: {result} (expected {wanted})")

    # syslog from hosts: each token in the collector's files
    collectors = [s.host.name for s in flows.flows(env).servers("syslog") if s.host is not None]
    time.sleep(1.0)
    for collector in collectors:
        found = lab.sudo(collector, "grep -rhoE 'pdc-flow-[0-9a-f]{12}' /var/log/remote || true").stdout.split()
        for token, (source, to) in tokens.items():
            if to != collector:
                continue
            ok = token in found
            rows.append((source, to, "syslog (message in the collector's files)", "arrived" if ok else "missing",
                         "ok" if ok else "FAIL"))
            if not ok:
                failures.append(f"{source} -> {to} syslog: token {token} not in /var/log/remote")

    # the WAN: controller -> every switch (SSH), each switch -> collector (syslog) and -> NTP server
    status = {s["name"]: s["reachable"] for s in switches.status(env)}
    creds = load(env)
    targets = connect.targets(env, env.sites)
    ntp_servers = [str(a) for a in flows.flows(env).server_addresses("ntp", without_devices=True)]
    for site in env.sites:
        mgmt = str(env.mgmt_ip(site))
        rows.append((CONTROLLER, site.id, "ssh tcp/22", "login" if status[site.id] else "refused",
                     "ok" if status[site.id] else "FAIL"))
        if not status[site.id]:
            failures.append(f"controller -> {site.id} ssh: no login")
        for collector in collectors:
            text = lab.sudo(collector, f"grep -h '%SYS-5-CONFIG_I' /var/log/remote/{mgmt}/syslog.log || true").stdout
            ok = "Configured from console" in text
            rows.append((site.id, collector, f"syslog: CONFIG_I in /var/log/remote/{mgmt}/", "arrived" if ok
                         else "missing", "ok" if ok else "FAIL"))
            if not ok:
                failures.append(f"{site.id} -> {collector} syslog: no CONFIG_I in /var/log/remote/{mgmt}/syslog.log")
    answered = _ntp_answers(targets, creds, ntp_servers)
    for site in env.sites:
        ok = answered.get(site.id, False)
        rows.append((site.id, ",".join(ntp_servers), "ntp udp/123 (show ntp associations)",
                     "answered" if ok else "no answer", "ok" if ok else "FAIL"))
        if not ok:
            failures.append(f"{site.id} -> NTP: no answer in show ntp associations")

    # undeclared: a host zone outside `management` opens SSH to a switch; the VTY ACL closes it at once
    dc = str(env.mgmt_ip(env.site("dc")))
    for source in sorted(zones.by_zone):
        if any(zones.address(source) in n for n in env.management_cidrs):
            continue
        result = _run(zones.ns(source), [{"kind": "banner", "host": dc, "port": 22}])[0]
        ok = result == "closed"
        rows.append((source, "dc", "ssh tcp/22 (not management: VTY ACL)", result, "ok" if ok else "FAIL"))
        if not ok:
            failures.append(f"{source} -> dc ssh: {result} (expected the device to close it)")

    _print(rows)
    assert not failures, "\n".join(failures)


def _ntp_answers(targets, creds, servers: list[str], timeout: float = 20.0) -> dict[str, bool]:
    """Per site: does `show ntp associations` name a configured server as sys.peer (it answered)?"""
    deadline = time.monotonic() + timeout
    answered: dict[str, bool] = {}
    while time.monotonic() < deadline and len(answered) < len(targets):
        for site_id, target in targets.items():
            if site_id in answered:
                continue
            conn = connect.connect(target, creds)
            try:
                out = conn.send_command("show ntp associations")
            finally:
                conn.disconnect()
            if any(f"*~{s}" in out for s in servers):
                answered[site_id] = True
        time.sleep(1)
    return answered


def _print(rows) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    header = ("from", "to", "flow", "result", "")
    print()
    for row in [header, *sorted(rows)]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
