"""A private copy of the lab environment for the audit's integration tests and bench.

The audit tests harden hosts (site.yml) and then break them on purpose, so they do not use
the shared `lab` lab: inventories/lab is copied outside the repository under another name
with its addresses moved (tenants, gateway link, mirror, switch ports), so it runs next to
the other engineers' labs. Systems, levels and roles stay the lab's.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from pdc import paths

NAME = os.environ.get("PDC_AUDIT_ENV", "auditlab")
ROOT = Path(os.environ.get("PDC_AUDIT_ROOT", "/var/tmp/pdc-audit"))

SUBSTITUTIONS = [
    (r"^name: lab$", f"name: {NAME}"),
    (r"10\.20\.0\.0/16", "10.22.0.0/16"),
    (r"10\.99\.0\.0/30", "10.99.0.8/30"),
    (r"http://10\.99\.0\.1:3142", "http://10.99.0.9:3142"),
    (r"switch_base_port: 22000", "switch_base_port: 24000"),
]


def build() -> Path:
    src = paths.INVENTORIES / "lab"
    dest = ROOT / NAME
    dest.mkdir(parents=True, exist_ok=True)
    for f in ("systems.yml", "sites.yml", "hosts.pdc.yml"):
        shutil.copyfile(src / f, dest / f)
    text = (src / "environment.yml").read_text(encoding="utf-8")
    for pattern, value in SUBSTITUTIONS:
        text, n = re.subn(pattern, value, text, flags=re.M)
        if n == 0:
            raise RuntimeError(f"inventories/lab/environment.yml no longer has {pattern!r}: update auditlab.py")
    (dest / "environment.yml").write_text(text, encoding="utf-8")
    return dest


def pdc_audit(env, report_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "pdc"), "audit", str(env.root), "--report-dir",
                           str(report_dir), *args], cwd=paths.ROOT, capture_output=True, text=True, timeout=900)


def site(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(env.root),
                           "playbooks/site.yml", *args], cwd=paths.ROOT, capture_output=True, text=True, timeout=3600)


def remote(env, host: str, command: str) -> subprocess.CompletedProcess:
    config = paths.STATE / "lab" / env.name / "ssh_config"
    return subprocess.run(["ssh", "-F", str(config), host, "sudo sh -c " + shlex.quote(command)],
                          capture_output=True, text=True, timeout=120)
