"""A private copy of the lab environment for the audit's integration tests and bench.

The audit tests harden hosts (site.yml) and then break them on purpose, so they do not use
the shared `lab` lab: inventories/lab is copied outside the repository under another name
with its addresses moved (tenants, gateway link, mirror, switch ports), so it runs next to
the other engineers' labs. Systems, levels and roles stay the lab's.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from pdc import paths
from pdc.lab.playbook_run import PlaybookRun, run_playbook
from pdc.lab.private import private_lab

NAME = os.environ.get("PDC_AUDIT_ENV", "auditlab")
ROOT = Path(os.environ.get("PDC_AUDIT_ROOT", "/var/tmp/pdc-audit"))

def build() -> Path:
    return private_lab(NAME, ROOT, tenants="10.22.0.0/16", gateway="10.99.0.8/30", switch_base_port=24000)


def pdc_audit(env, report_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "pdc"), "audit", str(env.root), "--report-dir",
                           str(report_dir), *args], cwd=paths.ROOT, capture_output=True, text=True, timeout=900)


def site(env, *args: str) -> PlaybookRun:
    return run_playbook(env.root, "site.yml", *args)


def remote(env, host: str, command: str) -> subprocess.CompletedProcess:
    config = paths.STATE / "lab" / env.name / "ssh_config"
    return subprocess.run(["ssh", "-F", str(config), host, "sudo sh -c " + shlex.quote(command)],
                          capture_output=True, text=True, timeout=120)
