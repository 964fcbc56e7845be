"""Helpers of the audit's integration tests and bench: `pdc audit` and site.yml against the
integration tier's private lab (tests/integration/privatelab.py), and a root shell on a host."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from labkit.playbook_run import PlaybookRun, run_playbook

from pdc import paths
from pdc.lab.ssh import run_remote
from pdc.lab.state import LabState


def pdc_audit(env, report_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "pdc"), "audit", str(env.root), "--report-dir",
                           str(report_dir), *args], cwd=paths.ROOT, capture_output=True, text=True, timeout=900)


def site(env, *args: str) -> PlaybookRun:
    return run_playbook(env.root, "site.yml", *args)


def remote(env, host: str, command: str) -> subprocess.CompletedProcess:
    return run_remote(LabState(env.name).ssh_config, host, command, sudo=True)
