"""A private lab (the `hardlab` copy of inventories/lab, see labenv.py) hardened once per session.

The session brings the containers up, runs site.yml once (the convergence run) and hands the
tests the result; it takes the lab down at the end unless it was already up or PDC_LAB_KEEP=1.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import labenv  # noqa: E402

from pdc.lab.playbook_run import PlaybookRun, run_playbook  # noqa: E402


def ansible_playbook(env_dir: Path, playbook: str, *args: str, timeout: int = 3000) -> PlaybookRun:
    return run_playbook(env_dir, playbook, *args, timeout=timeout)


@dataclass
class Lab:
    env_dir: Path
    env: object
    state_root: Path
    first: PlaybookRun

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
