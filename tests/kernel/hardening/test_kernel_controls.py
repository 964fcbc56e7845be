"""The kernel-level controls (sysctls, loaded audit rules, mount options) on the lab's real-kernel
VM (qlvb-app-01 of the private hardlab copy, level 2): applied by harden.yml, verified live."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "integration" / "hardening"))
import labenv  # noqa: E402
from conftest import Lab, ansible_playbook  # noqa: E402

pytestmark = pytest.mark.kernel
VM = "qlvb-app-01"


@pytest.fixture(scope="module")
def vmlab():
    if os.geteuid() != 0:
        pytest.skip("the lab needs root")
    from pdc.environment import load_environment
    from pdc.lab import hosts
    from pdc.lab.state import LabState

    env_dir = labenv.build()
    env = load_environment(env_dir)
    state = LabState(env.name)
    was_up = VM in state.read_hosts().get("hosts", {})
    hosts.up(env, with_vm=True)
    run = ansible_playbook(env_dir, "harden.yml", "--limit", VM, timeout=3600)
    yield Lab(env_dir, env, state.root, run)
    if not was_up and os.environ.get("PDC_LAB_KEEP", "") in ("", "0"):
        hosts.down(env)


def test_harden_converges_on_the_vm(vmlab):
    assert vmlab.first.rc == 0, vmlab.first.output[-4000:]


SYSCTLS = {
    "kernel.randomize_va_space": "2", "kernel.yama.ptrace_scope": "1", "kernel.kptr_restrict": "2",
    "kernel.dmesg_restrict": "1", "fs.suid_dumpable": "0", "net.ipv4.ip_forward": "0",
    "net.ipv4.conf.all.accept_redirects": "0", "net.ipv4.conf.all.send_redirects": "0",
    "net.ipv4.conf.all.rp_filter": "1", "net.ipv4.tcp_syncookies": "1", "net.ipv6.conf.all.accept_ra": "0",
}


@pytest.mark.parametrize("key", sorted(SYSCTLS))
def test_sysctl_is_live(vmlab, key):
    out = vmlab.sudo(VM, f"sysctl -n {key}")
    assert out.stdout.strip() == SYSCTLS[key], (key, out.stdout, out.stderr)


def test_audit_rules_are_loaded(vmlab):
    rules = vmlab.sudo(VM, "auditctl -l").stdout
    for key in ("identity", "scope", "time-change", "perm_mod", "session", "logins", "kernel_modules",
                "delete", "mounts", "user_emulation"):
        assert f"key={key}" in rules or f"-k {key}" in rules, key
    assert "enabled 1" in vmlab.sudo(VM, "auditctl -s").stdout


@pytest.mark.parametrize("mount", ["/tmp", "/dev/shm"])
def test_mount_options_are_live(vmlab, mount):
    opts = vmlab.ssh(VM, f"findmnt -n -o OPTIONS --mountpoint {mount}").stdout.strip().split(",")
    assert {"nodev", "nosuid", "noexec"} <= set(opts), (mount, opts)


def test_firewall_is_live_default_deny_with_ssh_from_management(vmlab):
    ruleset = vmlab.sudo(VM, "nft list ruleset").stdout
    assert "policy drop" in ruleset and 'iif "lo" accept' in ruleset
    ssh_rule = next(line for line in ruleset.splitlines() if "tcp dport 22" in line)
    assert all(str(n) in ssh_rule for n in vmlab.env.management_cidrs), ssh_rule
    assert vmlab.ssh(VM, "true").returncode == 0, "the management path must still work"
