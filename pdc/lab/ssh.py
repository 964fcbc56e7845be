"""The lab's SSH identity: one client key per lab, host keys per host, ssh_config and known_hosts;
and a command run on a lab host through them (the tests' and benches' remote shell).

Host keys are generated once per host and kept in the lab's state, so known_hosts stays true
across down/up and clients check host keys strictly (no StrictHostKeyChecking=no).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from pdc.lab.images import ADMIN
from pdc.lab.shell import run
from pdc.lab.state import LabState, write_atomic


def ensure_client_key(state: LabState) -> Path:
    if not state.key.exists() or not state.key.with_suffix(".pub").exists():
        state.root.mkdir(parents=True, exist_ok=True)
        state.key.unlink(missing_ok=True)
        state.key.with_suffix(".pub").unlink(missing_ok=True)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"pdc-lab-{state.env}", "-f", str(state.key)])
    state.key.chmod(0o600)
    return state.key


def public_key(state: LabState) -> str:
    return state.key.with_suffix(".pub").read_text()


def ensure_host_keys(state: LabState, host: str) -> Path:
    """``<state>/hostkeys/<host>/etc/ssh/ssh_host_*``: made once (ssh-keygen -A), then reused."""
    root = state.hostkeys(host)
    if not (root / "etc/ssh/ssh_host_ed25519_key.pub").exists():
        tmp = Path(tempfile.mkdtemp(prefix=f".{host}.", dir=root.parent if root.parent.exists() else None))
        (tmp / "etc/ssh").mkdir(parents=True)
        run(["ssh-keygen", "-A", "-f", str(tmp)])
        if root.exists():
            shutil.rmtree(root)
        root.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(root)
    return root / "etc/ssh"


def write_client_files(state: LabState, hosts: dict[str, str]) -> None:
    """ssh_config (one Host block per lab host) and known_hosts, for {name: address}."""
    known, blocks = [], []
    for name, address in sorted(hosts.items()):
        for pub in sorted((state.hostkeys(name) / "etc/ssh").glob("ssh_host_*_key.pub")):
            kind, key = pub.read_text().split()[:2]
            known.append(f"{name},{address} {kind} {key}")
        blocks.append(
            f"Host {name}\n"
            f"  HostName {address}\n"
            f"  User {ADMIN}\n"
            f"  IdentityFile {state.key}\n"
            f"  IdentitiesOnly yes\n"
            f"  UserKnownHostsFile {state.known_hosts}\n"
            f"  StrictHostKeyChecking yes\n"
            f"  HostKeyAlias {name}\n"
            f"  ConnectTimeout 30\n"
            f"  BatchMode yes\n"
            f"  LogLevel ERROR\n"
        )
    write_atomic(state.known_hosts, "\n".join(known) + "\n")
    header = f"# Written by `pdc lab up {state.env}`: one block per lab host.\n"
    write_atomic(state.ssh_config, header + "\n".join(blocks))


def ssh_cmd(state: LabState, host: str, command: str) -> list[str]:
    return ["ssh", "-F", str(state.ssh_config), host, command]


def run_remote(ssh_config: Path, host: str, command: str, *, sudo: bool = False, user: str | None = None,
               options: Sequence[str] = (), connect_timeout: int = 30,
               timeout: float = 120) -> subprocess.CompletedProcess:
    """Run command on a lab host over SSH with the lab's ssh_config (its key, known_hosts, admin user).

    sudo: as root, through `sudo sh -c`; user: log in as that user instead of the config's. BatchMode
    and ConnectTimeout (30 s, as in ssh_config) are explicit; options go after them. Output is captured
    as text, stdin is closed; a run longer than timeout raises subprocess.TimeoutExpired.
    """
    if sudo:
        command = "sudo sh -c " + shlex.quote(command)
    target = f"{user}@{host}" if user else host
    return subprocess.run(["ssh", "-F", str(ssh_config), "-o", "BatchMode=yes",
                           "-o", f"ConnectTimeout={connect_timeout}", *options, target, command],
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def login(state: LabState, host: str, command: str = "true", timeout: float = 45) -> bool:
    """A real SSH login as the admin user that runs command; True when it exits 0."""
    try:
        return subprocess.run(ssh_cmd(state, host, command), capture_output=True, timeout=timeout,
                              stdin=subprocess.DEVNULL).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def wait_login(state: LabState, host: str, deadline: float, check_alive=None, command: str = "true") -> bool:
    """Retry a login (running command) until it works or the monotonic deadline passes (or check_alive()
    says the host is gone)."""
    while time.monotonic() < deadline:
        if login(state, host, command, timeout=max(1.0, min(45.0, deadline - time.monotonic()))):
            return True
        if check_alive is not None and not check_alive():
            return False
        time.sleep(0.3)
    return False
