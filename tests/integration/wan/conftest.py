"""A fresh emulated WAN for each WAN test: every switch at its day-0 config, no faults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pdc import paths

PDC = [str(Path(sys.executable).parent / "pdc")]


@pytest.fixture
def fresh_wan(lab_switches, lab_env):
    from pdc.lab import switches

    creds = switches.restart(lab_env)
    yield creds
    switches.clear_faults(lab_env)


def pdc(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PDC_WAN_")}
    environ.update(env or {})
    return subprocess.run([*PDC, *args], capture_output=True, text=True, timeout=600, env=environ,
                          cwd=paths.ROOT)


def report(path: Path) -> dict:
    return json.loads(path.read_text())
