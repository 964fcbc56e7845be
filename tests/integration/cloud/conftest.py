"""The lab cloud for the cloud tier: started fresh once per session (from the cached template,
so a warm start is seconds), provisioned from the lab plan (the lab's stand-in for pulumi up), and
taken down at the end unless PDC_LAB_KEEP=1.

Each test that changes the cloud undoes its change, so every test starts from the provisioned plan.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from labkit.pytest_plugin import env_flag

from pdc import paths

PDC = str(Path(sys.executable).parent / "pdc")


@pytest.fixture(scope="session")
def lab_cloud(lab_env):
    """The lab environment's cloud, fresh and provisioned; yields an admin openstacksdk connection."""
    if os.geteuid() != 0:
        pytest.skip("the lab needs root")
    from pdc.lab.cloud import provision, services

    services.down(lab_env.name)  # fresh databases: the tier checks a cloud that holds the plan, nothing else
    services.up(lab_env.name)
    provision.provision_lab(lab_env)
    conn = provision.lab_connection(lab_env.name)
    yield conn
    conn.close()
    if not env_flag("PDC_LAB_KEEP"):
        services.down(lab_env.name)


def pdc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PDC, *args], capture_output=True, text=True, timeout=600, cwd=paths.ROOT)


def cloud_audit(env_name: str, tmp_path: Path) -> tuple[int, dict, str]:
    """`pdc cloud audit ENV --json FILE`: the exit code, the JSON and what it printed."""
    out = tmp_path / "cloud-audit.json"
    result = pdc("cloud", "audit", env_name, "--json", str(out))
    assert "Traceback" not in result.stderr, result.stderr
    data = json.loads(out.read_text()) if out.exists() else {}
    return result.returncode, data, result.stdout + result.stderr


def drift_of(data: dict, **match) -> list[dict]:
    return [d for d in data["drift"] if all(d.get(k) == v for k, v in match.items())]


def failing(data: dict) -> list[dict]:
    return [p for p in data["posture"] if p["status"] == "fail"]
