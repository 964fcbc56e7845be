"""The kernel tier's private lab: a copy of inventories/lab (see tests/labkit/private.py) of which
only the real-kernel VM is started, hardened once per session and shared by every kernel suite.

Its own name and addresses (not the integration tier's `hardlab`/`auditlab`), so it runs next
to those labs and to the engineers' `lab`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from labkit.playbook_run import PlaybookRun, run_playbook
from labkit.private import private_lab
from labkit.pytest_plugin import env_flag

from pdc import paths
from pdc.lab.ssh import run_remote

NAME = os.environ.get("PDC_KERNEL_ENV", "kernlab")
ROOT = Path(os.environ.get("PDC_KERNEL_ROOT", "/var/tmp/pdc-kernel"))


def build() -> Path:
    """Write the private environment folder and return it (idempotent)."""
    return private_lab(NAME, ROOT, tenants="10.124.0.0/16", gateway="10.99.3.0/30", wan_management="10.253.0.0/16")


@dataclass
class VmLab:
    env: object
    vm: object  # the environment's lab_kind: vm host
    state_root: Path
    site: PlaybookRun | None  # site.yml --limit the VM (site.yml includes harden.yml)

    @property
    def ssh_config(self) -> Path:
        return self.state_root / "ssh_config"

    def ssh(self, command: str, timeout: int = 120) -> subprocess.CompletedProcess:
        return run_remote(self.ssh_config, self.vm.name, command, timeout=timeout)

    def sudo(self, command: str, timeout: int = 120) -> subprocess.CompletedProcess:
        return run_remote(self.ssh_config, self.vm.name, command, sudo=True, timeout=timeout)

    def audit(self, report_dir: Path, *args: str) -> subprocess.CompletedProcess:
        """`pdc audit ENV --limit VM`: the compliance suite against the VM."""
        return subprocess.run([str(Path(sys.executable).parent / "pdc"), "audit", str(self.env.root),
                               "--report-dir", str(report_dir), "--limit", self.vm.name, *args],
                              cwd=paths.ROOT, capture_output=True, text=True, timeout=900)


# PDC_KERNEL_FULL_SITE=1: every control of the VM's level, not just the kernel ones (slow under TCG:
# the baseline's package installs alone took 368 s on a loaded machine)
FULL_SITE = env_flag("PDC_KERNEL_FULL_SITE")


def kernel_controls() -> list[str]:
    """The catalog's kernel controls: what only the VM can prove (containers prove the rest)."""
    from pdc.audit.catalog import catalog

    return [c.id for c in catalog().controls if c.kernel]


def site(env_dir: Path, vm_name: str) -> PlaybookRun:
    """site.yml (which includes harden.yml) on the VM, limited to the kernel controls' tasks.

    Every task is tagged with its control ids, and the roles' shared steps (preflight, control
    selection) are tagged `always`, so `--tags <kernel ids>` applies exactly those controls.
    """
    tags = [] if FULL_SITE else ["--tags", ",".join(kernel_controls())]
    return run_playbook(env_dir, "site.yml", "--limit", vm_name, *tags, timeout=2400)
