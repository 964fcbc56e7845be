"""One real-kernel VM session for the kernel suites (tests/kernel/hardening, tests/kernel/audit).

`kernel_vm` brings up only the VM of the private `kernlab` copy (no containers: the kernel
controls are proven on the VM alone), runs site.yml --limit the VM once (site.yml includes
harden.yml) with --tags the catalog's kernel controls (the other controls are proven on the
containers by the integration tier; PDC_KERNEL_FULL_SITE=1 runs them all) and hands every
suite the result. The VM is taken down at the end unless it was
already up or PDC_LAB_KEEP=1.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
from labkit.pytest_plugin import env_flag, private_env

sys.path.insert(0, str(Path(__file__).parent))
import kernlab  # noqa: E402


@pytest.fixture(scope="session")
def kernel_vm():
    from pdc.lab import hosts
    from pdc.lab.state import LabState

    env_dir, env = private_env(kernlab.build, needs="qemu")
    vm = next(h for h in env.hosts if h.group.lab_kind == "vm")
    state = LabState(env.name)
    was_up = bool(state.read_hosts())
    seconds = {}
    start = time.monotonic()
    hosts.up(env, with_vm=True, only=[vm.name])
    seconds["up"] = time.monotonic() - start
    lab = kernlab.VmLab(env, vm, state.root, None)
    if not kernlab.FULL_SITE:
        start = time.monotonic()
        # the baseline refreshes the package lists in its install task (tagged with non-kernel
        # controls); the VM image ships without lists and the kernel roles install nftables and auditd
        update = lab.sudo("apt-get update -qq", timeout=900)
        assert update.returncode == 0, update.stdout + update.stderr
        seconds["apt-get update"] = time.monotonic() - start
    lab.site = kernlab.site(env_dir, vm.name)
    seconds["site"] = lab.site.seconds
    # where the session's time went, next to the playbook logs
    (env_dir.parent / f"{env.name}-seconds.json").write_text(json.dumps(
        {k: round(v, 1) for k, v in seconds.items()}) + "\n")
    yield lab
    if not was_up and not env_flag("PDC_LAB_KEEP"):
        hosts.down(env)
