"""The audit's private lab with its real-kernel VM (see tests/integration/audit/auditlab.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "audit"))

import auditlab  # noqa: E402


@pytest.fixture(scope="session")
def audit_env_vm():
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (netns, mounts, containers, qemu)")
    from pdc.environment import load_environment
    from pdc.lab import hosts

    env = load_environment(auditlab.build())
    hosts.up(env, with_vm=True)
    yield env
    if os.environ.get("PDC_LAB_KEEP", "") in ("", "0"):
        hosts.down(env)
