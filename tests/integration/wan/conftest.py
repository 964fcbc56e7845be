"""A fresh emulated WAN for each WAN test: every switch at its day-0 config, no faults."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pdc import paths

PDC = [str(Path(sys.executable).parent / "pdc")]


@pytest.fixture
def fresh_wan(lab_switches, lab_env):
    from pdc.lab import switches

    creds = switches.restart(lab_env)
    yield creds
    switches.clear_faults(lab_env)


def ENV(lab_env) -> str:  # noqa: N802 - reads as the ENV argument of the commands
    """The ENV argument: the name for an environment under inventories/ (`pdc wan push lab`), else its path."""
    return lab_env.name if (paths.INVENTORIES / lab_env.name).resolve() == lab_env.root.resolve() \
        else str(lab_env.root)


def pdc(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PDC_WAN_")}
    environ.update(env or {})
    return subprocess.run([*PDC, *args], capture_output=True, text=True, timeout=600, env=environ,
                          cwd=paths.ROOT)


def report(path: Path) -> dict:
    return json.loads(path.read_text())


def controller_entry(env) -> tuple[str, str]:
    """The management entry that admits the controller (the lab's gateway link), and its address."""
    from pdc.lab import netns

    gateway = env.settings.lab.gateway_network
    return str(gateway), str(netns.machine_address(gateway))


@pytest.fixture
def without_controller(lab_env, tmp_path) -> str:
    """A copy of the lab environment (same name, same emulated WAN) whose management sources no longer
    include the controller's address: every VTY ACL it renders refuses the controller."""
    copy = tmp_path / "lab"
    shutil.copytree(lab_env.root, copy)
    data = yaml.safe_load((copy / "environment.yml").read_text())
    entry, _ = controller_entry(lab_env)
    assert entry in data["shared_services"]["management"]
    data["shared_services"]["management"].remove(entry)
    (copy / "environment.yml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return str(copy)
