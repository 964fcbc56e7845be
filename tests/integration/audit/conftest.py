"""The audit's private lab (containers only): up for the module, down afterwards unless kept."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(Path(__file__).parent))

import auditlab  # noqa: E402


@pytest.fixture(scope="session")
def audit_env():
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (netns, mounts, containers)")
    from pdc.environment import load_environment
    from pdc.lab import hosts

    folder = auditlab.build()
    env = load_environment(folder)
    hosts.up(env, with_vm=False)
    yield env
    if os.environ.get("PDC_LAB_KEEP", "") in ("", "0"):
        hosts.down(env)
