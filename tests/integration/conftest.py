"""The private lab shared by the hardening and audit suites (see privatelab.py).

`private_lab` starts fresh containers once per session (the audit first checks them unhardened);
`hardlab` runs site.yml on them once (the convergence run) and hands every test the result.
The lab goes down at the end unless PDC_LAB_KEEP=1; PDC_LAB_REUSE=1 keeps hosts already up.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from labkit.pytest_plugin import env_flag, private_env

sys.path.insert(0, str(Path(__file__).parent))
import privatelab  # noqa: E402


@pytest.fixture(scope="session")
def private_lab():
    from pdc.lab import hosts
    from pdc.lab.state import LabState

    env_dir, env = private_env(privatelab.build)
    if not env_flag("PDC_LAB_REUSE"):
        hosts.down(env)  # fresh overlays: the unhardened checks need unhardened hosts
    hosts.up(env, with_vm=False)
    yield privatelab.Lab(env_dir, env, LabState(env.name).root)
    if not env_flag("PDC_LAB_KEEP"):
        hosts.down(env)


@pytest.fixture(scope="session")
def hardlab(private_lab):
    private_lab.first = private_lab.playbook("site.yml")
    return private_lab
