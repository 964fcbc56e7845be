"""Session fixtures that bring up the part of the lab a test needs, and take it down after.

- ``lab_env``: the environment the lab tiers run on (``PDC_LAB_ENV``, default ``lab``).
- ``lab_hosts``: the containers up; yields the lab's hosts record (``hosts.json``: addresses,
  ssh_config, key). ``lab_vm``: the same with the real-kernel VM hosts too.
- ``lab_switches``: the emulated WAN up (on its management addresses, behind the lab core: root
  too); yields the ``switches.json`` dict.

A lab that was already up when the session started is left up (it is someone's working lab);
one the session started is taken down at the end, unless ``PDC_LAB_KEEP=1``.
Without root the host and WAN fixtures skip: they need namespaces (and the hosts mounts).

For the tiers' own fixtures: ``env_flag`` reads PDC_LAB_KEEP-style switches, and ``private_env``
is the preamble of a private lab copy's fixture (root check, build, load).
"""

from __future__ import annotations

import os

import pytest

ENV = os.environ.get("PDC_LAB_ENV", "lab")


def env_flag(name: str) -> bool:
    """An on/off environment variable (PDC_LAB_KEEP, PDC_LAB_REUSE...): set and not "0" is on."""
    return os.environ.get(name, "") not in ("", "0")


def _require_root(needs: str = "containers") -> None:
    if os.geteuid() != 0:
        pytest.skip(f"the lab needs root (netns, mounts, {needs})")


def private_env(build, needs: str = "containers"):
    """The preamble of a private lab's fixture: skip unless root, write the private copy of the
    environment (``build()`` returns its folder) and load it. Returns (folder, environment)."""
    _require_root(needs)
    from pdc.environment import load_environment

    env_dir = build()
    return env_dir, load_environment(env_dir)


@pytest.fixture(scope="session")
def lab_env():
    from pdc.environment import load_environment

    return load_environment(ENV)


@pytest.fixture(scope="session")
def lab_hosts(lab_env):
    _require_root()
    from pdc.lab import hosts
    from pdc.lab.state import LabState

    was_up = bool(LabState(lab_env.name).read_hosts())
    record = hosts.up(lab_env, with_vm=False)
    yield record
    if not was_up and not env_flag("PDC_LAB_KEEP"):
        hosts.down(lab_env)


@pytest.fixture(scope="session")
def lab_vm(lab_hosts, lab_env):
    """The lab with its VM hosts too (the kernel tier). Yields the hosts record."""
    from pdc.lab import hosts

    return hosts.up(lab_env, with_vm=True)


@pytest.fixture(scope="session")
def lab_switches(lab_env):
    """The emulated WAN up; yields the switches.json dict (the lab's published contract)."""
    _require_root("the WAN netns behind the core")
    import json

    from pdc import labcontract
    from pdc.lab import switches

    was_up = switches.is_up(lab_env)
    switches.up(lab_env)
    yield json.loads((labcontract.root(lab_env.name) / labcontract.SWITCHES_FILE).read_text())
    if not was_up and not env_flag("PDC_LAB_KEEP"):
        switches.down(lab_env)
