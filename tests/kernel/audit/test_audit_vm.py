"""On the lab's real-kernel VM, after hardening, the kernel controls (sysctls, mounts, loaded
audit rules) pass: the same checks that say "needs a real kernel" in a container. The VM is the
kernel tier's shared one, hardened once per session (tests/kernel/conftest.py)."""

from __future__ import annotations

import json

import pytest

from pdc.audit.catalog import catalog

pytestmark = pytest.mark.kernel


def test_kernel_controls_pass_on_the_hardened_vm(kernel_vm, tmp_path):
    assert kernel_vm.site.rc == 0, kernel_vm.site.tail()
    vm = kernel_vm.vm
    audit = kernel_vm.audit(tmp_path)
    assert (tmp_path / "audit.json").exists(), audit.stdout[-3000:] + audit.stderr[-3000:]
    report = json.loads((tmp_path / "audit.json").read_text())
    kernel = {c.id for c in catalog().controls if c.kernel}
    by_control = {r["control"]: r for r in report["results"] if r["host"] == vm.name}
    required = [c for c in catalog().controls
                if c.kernel and c.status == "implemented" and c.min_level <= vm.level]
    assert required, "the VM's level requires no kernel control: nothing would be proven"
    missing = [c.id for c in required if c.id not in by_control]
    assert not missing, f"the audit did not report {missing}"
    not_passing = {c.id: (by_control[c.id]["status"], [i["evidence"][-1:] or i["reason"]
                                                         for i in by_control[c.id]["items"]])
                   for c in required if by_control[c.id]["status"] != "pass"}
    assert not not_passing, not_passing
    # nothing kernel-level is skipped as "needs a real kernel" on a VM
    assert not [r for r in report["results"] if r["control"] in kernel and "real kernel" in r["reason"]]
    assert audit.returncode in (0, 1), audit.stderr[-3000:]
