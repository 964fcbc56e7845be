"""Where one lab keeps its files, and how it finds (and ends) what it started.

Layout of ``/var/lib/pdc/lab/<env>/``:
- ``id_ed25519``, ``known_hosts``, ``ssh_config``, ``hostkeys/``: the lab's identity; kept
  across down/up so known host keys and the VM snapshot stay valid.
- ``vm/<host>/``: a VM's disk and memory snapshot (kept: later starts resume it).
- ``hosts.json``: what is up (read by the inventory plugin and the pytest fixtures).
- ``hosts-run/``: everything a run of the hosts side creates (overlays, pid files, logs, sockets); ``down`` removes it.

Recovery after a killed ``up`` does not trust pid files alone: every process the lab starts
carries the lab's run directory in its command line, so ``down`` also finds orphans by scanning
/proc, and ends each one by its PID.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from pdc import labcontract


@dataclass(frozen=True)
class LabState:
    env: str

    @property
    def root(self) -> Path:
        return labcontract.root(self.env)

    @property
    def run(self) -> Path:
        return self.root / "hosts-run"  # the switches keep their own files elsewhere in root

    @property
    def key(self) -> Path:
        return self.root / labcontract.KEY

    @property
    def known_hosts(self) -> Path:
        return self.root / labcontract.KNOWN_HOSTS

    @property
    def ssh_config(self) -> Path:
        return self.root / labcontract.SSH_CONFIG

    @property
    def hosts_file(self) -> Path:
        return self.root / labcontract.HOSTS_FILE

    def hostkeys(self, host: str) -> Path:
        return self.root / "hostkeys" / host

    def host_run(self, host: str) -> Path:
        return self.run / "hosts" / host

    def vm_dir(self, host: str) -> Path:
        return self.root / "vm" / host

    # netns names are global on the machine: prefix them with the environment
    @property
    def core_ns(self) -> str:
        return f"pdc-{self.env}-core"

    def host_ns(self, host: str) -> str:
        return f"pdc-{self.env}-{host}"

    @property
    def ns_prefix(self) -> str:
        return f"pdc-{self.env}-"

    @property
    def wan_ns(self) -> str:
        """The emulated WAN's netns. Under ``ns_prefix`` (``down`` and its checks see it); the dot keeps it
        apart from any host's (host names are DNS labels), the hash of this lab's state folder from the same
        environment name under another PDC_STATE (another engineer's lab on the same machine)."""
        tag = hashlib.sha256(str(self.root.resolve()).encode()).hexdigest()[:6]
        return f"pdc-{self.env}-wan.{tag}"

    @property
    def uplink(self) -> str:
        """The machine's end of the link to the lab core (interface names hold 15 bytes)."""
        return f"pdc-{self.env}"[:15]

    def read_hosts(self) -> dict:
        try:
            return json.loads(self.hosts_file.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def write_hosts(self, data: dict) -> None:
        write_atomic(self.hosts_file, json.dumps(data, indent=2, sort_keys=True) + "\n")


def write_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    """Replace ``path`` atomically; the new file has ``mode`` from its creation (secrets are never
    readable by others, not even for a moment) and a planted symlink is never written through."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    os.fchmod(fd, mode)  # the umask may have narrowed it
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    tmp.replace(path)


# ---------------------------------------------------------------- processes


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def alive(pid: int | None, marker: str) -> bool:
    """The PID runs and is still ours (its command line names our run directory)."""
    return bool(pid) and marker in cmdline(pid)


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def find_pids(marker: str) -> list[int]:
    """Processes whose command line names marker (the lab's run directory)."""
    own = os.getpid()
    return [int(e) for e in os.listdir("/proc")
            if e.isdigit() and int(e) != own and marker in cmdline(int(e))]


def netns_pids(netns_file: Path) -> list[int]:
    """Processes inside a network namespace (e.g. a container's whole process tree).

    This finds a container's processes even when its systemd-nspawn is gone and its root
    mount was detached, where neither command lines nor /proc/PID/root point at the lab.
    """
    try:
        target = os.stat(netns_file)
    except OSError:
        return []
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            st = os.stat(f"/proc/{entry}/ns/net")
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == (target.st_dev, target.st_ino):
            out.append(int(entry))
    return out


def kill_pids(pids: list[int], timeout: float = 10.0) -> None:
    """SIGTERM each PID, wait for them to go, SIGKILL what is left."""
    pids = [p for p in pids if p]
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = [p for p in pids if _running(p)]
        if not pids:
            return
        time.sleep(0.1)
    for pid in pids:
        _signal(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_running(p) for p in pids):
        time.sleep(0.1)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # a zombie has exited; its parent (not us) reaps it
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


# ---------------------------------------------------------------- mounts


def mounts_under(prefix: Path) -> list[Path]:
    """Mount points below prefix in this mount namespace, deepest first."""
    out = []
    text = Path("/proc/self/mountinfo").read_text()
    for line in text.splitlines():
        point = line.split()[4].replace("\\040", " ")
        if point == str(prefix) or point.startswith(str(prefix) + "/"):
            out.append(Path(point))
    return sorted(set(out), key=lambda p: len(p.parts), reverse=True)
