"""Run the real ansible-playbook of the repository without the lab: a model-sourced inventory.

The inventory is a copy of the haiduong environment files with a ``hosts.pdc.yml`` of
``source: model`` and no saved Pulumi outputs, so the hosts and their variables are the model's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pdc import paths

ENV_FILES = ("environment.yml", "systems.yml", "sites.yml")
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"


def ansible_env() -> dict[str, str]:
    """The environment ansible-playbook needs: this checkout's pdc package and ansible.cfg."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(paths.ROOT), env.get("PYTHONPATH")]))
    env["ANSIBLE_CONFIG"] = str(paths.ROOT / "ansible.cfg")
    env["ANSIBLE_NOCOLOR"] = "1"
    env.pop("PDC_PULUMI_OUTPUTS", None)
    return env


def make_model_inventory(folder: Path, extra: str = "") -> Path:
    """An environment folder copied from haiduong whose hosts.pdc.yml reads the model only."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ENV_FILES:
        shutil.copy(paths.INVENTORIES / "haiduong" / name, folder / name)
    (folder / "hosts.pdc.yml").write_text("plugin: pdc_environment\nsource: model\n" + extra)
    return folder


def run_playbook(*args: str, timeout: int = 120, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ANSIBLE_PLAYBOOK), *args], cwd=paths.ROOT, env={**ansible_env(), **env},
                          capture_output=True, text=True, timeout=timeout)


def run_many(arg_lists: list[list[str]], workers: int = (os.cpu_count() or 2) + 1) -> list[subprocess.CompletedProcess]:
    """Several ansible-playbook runs at once (each is ~1 s of mostly start-up)."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda args: run_playbook(*args), arg_lists))
