"""A private lab (the `hardlab` copy of inventories/lab, see labenv.py) hardened once per session.

The session brings the containers up, runs site.yml once (the convergence run) and hands the
tests the result; it takes the lab down at the end unless it was already up or PDC_LAB_KEEP=1.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import labenv  # noqa: E402

from pdc import paths  # noqa: E402

ANSIBLE = Path(sys.executable).parent / "ansible-playbook"
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


@dataclass
class Run:
    rc: int
    output: str
    seconds: float

    @property
    def recap(self) -> dict[str, dict[str, int]]:
        return {m[0]: {"ok": int(m[1]), "changed": int(m[2]), "unreachable": int(m[3]), "failed": int(m[4])}
                for m in RECAP.findall(self.output)}


def ansible_playbook(env_dir: Path, playbook: str, *args: str, timeout: int = 1800) -> Run:
    start = time.monotonic()
    proc = subprocess.run([str(ANSIBLE), "-i", str(env_dir), str(paths.ROOT / "playbooks" / playbook), *args],
                          cwd=paths.ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"})
    return Run(proc.returncode, proc.stdout + proc.stderr, time.monotonic() - start)


@dataclass
class Lab:
    env_dir: Path
    env: object
    state_root: Path
    first: Run

    @property
    def ssh_config(self) -> Path:
        return self.state_root / "ssh_config"

    def ssh(self, host: str, command: str, user: str | None = None, extra: tuple[str, ...] = (),
            timeout: int = 60) -> subprocess.CompletedProcess:
        target = f"{user}@{host}" if user else host
        return subprocess.run(["ssh", "-F", str(self.ssh_config), "-o", "BatchMode=yes", "-o", "ConnectTimeout=15",
                               *extra, target, command], capture_output=True, text=True, timeout=timeout)

    def sudo(self, host: str, command: str, timeout: int = 60) -> subprocess.CompletedProcess:
        return self.ssh(host, f"sudo sh -c {_quote(command)}", timeout=timeout)

    def address(self, host: str) -> str:
        return str(self.env.host(host).address)


def _quote(s: str) -> str:
    return "'" + s.replace("'", "'\"'\"'") + "'"


@pytest.fixture(scope="session")
def hardlab():
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (netns, mounts, containers)")
    from pdc.environment import load_environment
    from pdc.lab import hosts
    from pdc.lab.state import LabState

    env_dir = labenv.build()
    env = load_environment(env_dir)
    state = LabState(env.name)
    was_up = bool(state.read_hosts())
    hosts.up(env, with_vm=False)
    first = ansible_playbook(env_dir, "site.yml")
    yield Lab(env_dir, env, state.root, first)
    if not was_up and os.environ.get("PDC_LAB_KEEP", "") in ("", "0"):
        hosts.down(env)
