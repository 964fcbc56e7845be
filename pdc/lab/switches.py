"""The lab's emulated WAN: one emulated Cisco IOS switch per site, all in one background process.

The devices live on their planned management addresses (Loopback0: ``Environment.mgmt_ip``), port 22,
inside one WAN netns behind the lab's core router (``pdc.lab.netns.setup_wan``): the addresses sit on its
loopback (each is a device's Loopback0), the core routes the management networks to it, and this machine routes them to
the core over the gateway link, as it reaches the hosts. So the controller's sessions, and the devices'
syslog and NTP, cross the same core (and the hosts' nftables) as real traffic would. The switch process
runs inside that netns. ``--wan-only`` therefore brings up the core too (its zone bridges stay empty);
``down`` removes the netns, its addresses and the routes, and the core as well when no host is up.

Files under ``/var/lib/pdc/lab/<env>/``:
- ``switches.json`` (mode 600): the lab's generated credentials and each device's address,
  the contract the WAN engine and the tests read;
- ``switches/``: the host key, the process spec, pid, log, ready file and the fault control
  file; ``down`` removes this folder (credentials stay, so a restarted lab keeps them).

The lab vouches for its own devices: ``up`` records their host key in the known_hosts file the
WAN engine reads for the environment (pdc.wan.known_hosts), so no `pdc wan trust` is needed.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

from pdc import labcontract, sources
from pdc.environment import Environment
from pdc.lab import netns
from pdc.lab.errors import LabError, require_root, require_tools
from pdc.lab.state import LabState, alive, find_pids, kill_pids, read_pid, write_atomic
from pdc.wan.profiles import profile

PORT = 22
START_TIMEOUT = 60.0
NTP_POLL = 64  # seconds between a device's NTP queries (IOS's minimum poll interval)


class Paths:
    def __init__(self, env: Environment):
        self.state = LabState(env.name)
        self.root = self.state.root
        # the files the product reads (pdc.labcontract) are named there, once
        self.credentials = self.root / labcontract.SWITCHES_FILE
        self.dir = self.root / labcontract.SWITCHES_DIR
        self.host_key = self.dir / "host_key"
        self.spec = self.dir / labcontract.SPEC_FILE
        self.pid = self.dir / labcontract.PID_FILE
        self.log = self.dir / "server.log"
        self.ready = self.dir / labcontract.READY_FILE
        self.control = self.dir / "faults.json"

    @property
    def marker(self) -> str:
        """In the server's command line: how `down` finds it even without a pid file."""
        return str(self.spec)


def address_of(env: Environment, site) -> IPv4Address:
    """Where the emulated device listens: its planned management address (Loopback0)."""
    return env.mgmt_ip(site)


def routed(env: Environment) -> list[IPv4Network]:
    """The networks the lab routes to the WAN netns: wan_management, and any site override outside it."""
    nets = [env.address_plan.wan_management]
    for site in env.sites:
        address = address_of(env, site)
        if not any(address in n for n in nets):
            nets.append(IPv4Network(f"{address}/32"))
    return nets


def credentials(env: Environment) -> dict:
    """The lab's switch credentials, generated on first use and kept (mode 600)."""
    paths = Paths(env)
    devices = {s.id: {"host": str(address_of(env, s)), "port": PORT} for s in env.sites}
    try:
        data = json.loads(paths.credentials.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        data = {
            "username": "pdcadmin",
            "password": secrets.token_urlsafe(18),
            "secret": secrets.token_urlsafe(18),
            "snmp_auth": secrets.token_urlsafe(18),
            "snmp_priv": secrets.token_urlsafe(18),
        }
    if data.get("devices") != devices:
        data["devices"] = devices
    write_atomic(paths.credentials, json.dumps(data, indent=2, sort_keys=True) + "\n", mode=0o600)
    return data


def _host_key(paths: Paths) -> None:
    if paths.host_key.exists():
        return
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption())
    write_atomic(paths.host_key, key.decode(), mode=0o600)


def _record_host_keys(env: Environment, paths: Paths) -> None:
    """Every emulated device's key into the environment's known_hosts (replacing an older lab key).

    Only for an environment whose WAN is the lab (wan.pdc.yml): the devices now sit on the plan's own
    addresses, and a production environment's pins must never be the lab's."""
    if sources.wan(env.root) != sources.LAB:
        return
    from cryptography.hazmat.primitives import serialization

    from pdc.wan import known_hosts

    private = serialization.load_ssh_private_key(paths.host_key.read_bytes(), password=None)
    public = private.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                               serialization.PublicFormat.OpenSSH).decode()
    file = known_hosts.path(env.name)
    wanted = {f"{known_hosts.entry_name(str(address_of(env, s)), PORT)} {public}" for s in env.sites}
    try:
        if wanted <= set(file.read_text().splitlines()):
            return  # already recorded: a restart skips paramiko (the lab starts in well under 1 s)
    except FileNotFoundError:
        pass
    import paramiko

    key = paramiko.Ed25519Key.from_private_key_file(str(paths.host_key))
    keys = known_hosts.load(file)
    known_hosts.record(file, [known_hosts.check(keys, str(address_of(env, s)), PORT, key) for s in env.sites],
                       replace=True)


def _running(paths: Paths) -> int | None:
    pid = read_pid(paths.pid)
    return pid if alive(pid, paths.marker) else None


def is_up(env: Environment) -> bool:
    """The environment's emulated WAN is running (the WAN engine then talks to it)."""
    paths = Paths(env)
    return _running(paths) is not None and paths.credentials.exists()


def up(env: Environment) -> dict:
    """Start every switch of the environment (idempotent; replaces a stale or changed run)."""
    from pdc.lab import hosts

    require_root("pdc lab up")
    require_tools("ip")
    gateway = hosts.ensure_core(env)  # the WAN hangs off the core: --wan-only brings it up too
    state = LabState(env.name)
    nets = routed(env)
    paths = Paths(env)
    paths.dir.mkdir(parents=True, exist_ok=True)
    os.chmod(paths.dir, 0o700)
    creds = credentials(env)
    _host_key(paths)
    _record_host_keys(env, paths)
    spec = {
        "env": env.name,
        "username": creds["username"],
        "password": creds["password"],
        "secret": creds["secret"],
        "host_key": str(paths.host_key),
        "control": str(paths.control),
        "ready": str(paths.ready),
        "ntp_poll": NTP_POLL,
        "devices": {
            s.id: {"address": str(address_of(env, s)), "port": PORT, "hostname": s.id,
                   "ports": list(profile(s).ports)}
            for s in env.sites
        },
    }
    text = json.dumps(spec, indent=1, sort_keys=True)
    pid = _running(paths)
    if pid and paths.spec.exists() and paths.spec.read_text() == text and paths.ready.exists() and \
            netns.wan_ok(state.core_ns, state.wan_ns, state.uplink, nets):
        return creds  # already up with this very spec
    _stop(paths)  # a stale run, a crashed one, or a changed environment
    netns.setup_wan(state.core_ns, state.wan_ns, state.uplink, gateway, [address_of(env, s) for s in env.sites],
                    nets)
    write_atomic(paths.spec, text, mode=0o600)
    paths.ready.unlink(missing_ok=True)
    paths.control.unlink(missing_ok=True)
    Path(str(paths.control) + ".ack").unlink(missing_ok=True)
    with open(paths.log, "ab") as log:
        # `ip netns exec` execs python in place: the pid is the server's, its command line names the spec
        proc = subprocess.Popen(
            ["ip", "netns", "exec", state.wan_ns, sys.executable, "-m", "pdc.lab.switchsim.server", str(paths.spec)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, close_fds=True)
    write_atomic(paths.pid, f"{proc.pid}\n")
    deadline = time.monotonic() + START_TIMEOUT
    while not paths.ready.exists():
        if proc.poll() is not None:
            tail = paths.log.read_text(errors="replace")[-2000:]
            raise LabError(f"the emulated WAN exited with {proc.returncode}; log {paths.log}:\n{tail}")
        if time.monotonic() > deadline:
            _stop(paths)
            raise LabError(f"the emulated WAN did not start within {START_TIMEOUT:.0f}s; see {paths.log}")
        time.sleep(0.02)
    return creds


def _stop(paths: Paths) -> None:
    pids = set(find_pids(paths.marker))
    pid = read_pid(paths.pid)
    if alive(pid, paths.marker):
        pids.add(pid)
    kill_pids(sorted(pids))
    for path in (paths.pid, paths.ready):
        path.unlink(missing_ok=True)


def restart(env: Environment) -> dict:
    """A fresh emulated WAN: every switch back to its day-0 config, no faults (tests use it)."""
    _stop(Paths(env))
    return up(env)


def down(env: Environment) -> None:
    """Stop the switch process (by PID), remove the WAN netns, its addresses and routes, and the run
    files; credentials are kept. With no lab host up, the core (which --wan-only brought up) goes too."""
    from pdc.lab import hosts

    paths = Paths(env)
    _stop(paths)
    if paths.dir.exists():
        for child in paths.dir.iterdir():
            child.unlink()
        paths.dir.rmdir()
    state = LabState(env.name)
    if os.geteuid() != 0:
        return  # nothing of the network can have been made without root (up requires it)
    nets = routed(env)
    netns.delete_wan(state.core_ns, state.wan_ns, state.uplink, None, nets)
    if not state.read_hosts().get("hosts"):
        hosts.down(env)
    left = ([state.wan_ns] if netns.exists(state.wan_ns) else []) + netns.wan_routes_left(state.uplink, nets)
    if left:
        raise LabError(f"`pdc lab down {env.name}` left of the emulated WAN: {', '.join(left)}")


def status(env: Environment) -> list[dict]:
    """Each switch with its address and whether a real SSH login succeeds (checked concurrently)."""
    from pdc.wan import known_hosts

    paths = Paths(env)
    try:
        creds = json.loads(paths.credentials.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        creds = None
    running = _running(paths) is not None
    known = known_hosts.path(env.name)

    def probe(site) -> dict:
        address = str(address_of(env, site))
        item = {"name": site.id, "address": address, "started": running, "reachable": False}
        if creds and running:
            item["reachable"] = _login(address, creds["username"], creds["password"], known)
        return item

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(probe, env.sites))


def _login(address: str, username: str, password: str, known: Path) -> bool:
    """A real login, with the host key checked as the WAN engine checks it."""
    import paramiko

    client = paramiko.SSHClient()
    if known.is_file():
        client.load_host_keys(str(known))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect(address, port=PORT, username=username, password=password, timeout=5, banner_timeout=5,
                       auth_timeout=5, look_for_keys=False, allow_agent=False)
        channel = client.invoke_shell()
        channel.settimeout(5)
        data = b""
        while not data.rstrip().endswith((b">", b"#")):
            chunk = channel.recv(4096)
            if not chunk:
                return False
            data += chunk
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False
    finally:
        client.close()


# ---------------------------------------------------------------- fault injection


def set_fault(env: Environment, site_id: str, fault: dict | None, timeout: float = 5.0) -> dict:
    """Set (or with None clear) one device's fault; returns once the switch process applied it."""
    paths = Paths(env)
    env.site(site_id)  # KeyError for an unknown site
    if _running(paths) is None:
        raise LabError(f"the emulated WAN of {env.name} is not running: pdc lab up {env.name} --wan-only")
    try:
        data = json.loads(paths.control.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        data = {"generation": 0, "devices": {}}
    if fault:
        data["devices"][site_id] = fault
    else:
        data["devices"].pop(site_id, None)
    data["generation"] = int(data.get("generation", 0)) + 1
    write_atomic(paths.control, json.dumps(data, indent=2, sort_keys=True) + "\n", mode=0o600)
    ack = Path(str(paths.control) + ".ack")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if json.loads(ack.read_text()).get("generation") == data["generation"]:
                return data["devices"]
        except (FileNotFoundError, json.JSONDecodeError):
            pass
        time.sleep(0.02)
    raise LabError(f"the emulated WAN did not apply the fault within {timeout:.0f}s; see {paths.log}")


def clear_faults(env: Environment) -> None:
    paths = Paths(env)
    if _running(paths) is None:
        return
    try:
        data = json.loads(paths.control.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        data = {"generation": 0, "devices": {}}
    for site_id in list(data.get("devices", {})):
        set_fault(env, site_id, None)
