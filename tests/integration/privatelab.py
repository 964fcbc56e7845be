"""The integration tier's private lab: a copy of inventories/lab that site.yml hardens for good.

The hardening and audit suites change hosts for good (SSH, firewall, PAM) and break them on
purpose, so they do not use the shared `lab` lab that engineers work on: inventories/lab is
copied outside the repository under another name, with its addresses moved (tenants supernet,
gateway link, mirror, WAN management network), so both run side by side. Systems, levels and roles stay
the lab's. One copy serves both suites: its containers are hardened once per session.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from labkit.playbook_run import PlaybookRun, run_playbook
from labkit.private import private_lab

from pdc.lab.ssh import run_remote

NAME = os.environ.get("PDC_HARDEN_ENV", "hardlab")
ROOT = Path(os.environ.get("PDC_HARDEN_ROOT", "/var/tmp/pdc-hardening"))
CONNECT_TIMEOUT = 15  # seconds, for ssh and sudo (the lab's ssh_config says 30)


def build(name: str = NAME) -> Path:
    """Write the private environment folder and return it (idempotent)."""
    return private_lab(name, ROOT, tenants="10.123.0.0/16", gateway="10.99.2.0/30", wan_management="10.252.0.0/16")


@dataclass
class Lab:
    env_dir: Path
    env: object
    state_root: Path
    first: PlaybookRun | None = None  # the convergence run of site.yml, once hardened

    @property
    def ssh_config(self) -> Path:
        return self.state_root / "ssh_config"

    def ssh(self, host: str, command: str, user: str | None = None, extra: tuple[str, ...] = (),
            timeout: int = 60) -> subprocess.CompletedProcess:
        return run_remote(self.ssh_config, host, command, user=user, options=extra,
                          connect_timeout=CONNECT_TIMEOUT, timeout=timeout)

    def sudo(self, host: str, command: str, timeout: int = 60) -> subprocess.CompletedProcess:
        return run_remote(self.ssh_config, host, command, sudo=True, connect_timeout=CONNECT_TIMEOUT,
                          timeout=timeout)

    def address(self, host: str) -> str:
        return str(self.env.host(host).address)

    def playbook(self, playbook: str, *args: str, timeout: int = 3000) -> PlaybookRun:
        return run_playbook(self.env_dir, playbook, *args, timeout=timeout)
