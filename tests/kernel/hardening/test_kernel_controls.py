"""The kernel-level controls (sysctls, loaded audit rules, mount options, the firewall) on the lab's
real-kernel VM (qlvb-app-01 of the kernel tier's private lab, level 2): applied by site.yml
(harden.yml) once per session (tests/kernel/conftest.py), verified live."""

from __future__ import annotations

import kernlab
import pytest

pytestmark = pytest.mark.kernel


def test_site_converges_on_the_vm(kernel_vm):
    assert kernel_vm.vm.name == "qlvb-app-01"
    assert kernel_vm.site.rc == 0, kernel_vm.site.tail()
    recap = kernel_vm.site.recap[kernel_vm.vm.name]
    assert recap["failed"] == recap["unreachable"] == 0, recap


SYSCTLS = {
    "kernel.randomize_va_space": "2", "kernel.yama.ptrace_scope": "1", "kernel.kptr_restrict": "2",
    "kernel.dmesg_restrict": "1", "fs.suid_dumpable": "0", "net.ipv4.ip_forward": "0",
    "net.ipv4.conf.all.accept_redirects": "0", "net.ipv4.conf.all.send_redirects": "0",
    "net.ipv4.conf.all.rp_filter": "1", "net.ipv4.tcp_syncookies": "1", "net.ipv6.conf.all.accept_ra": "0",
}


def test_sysctls_are_live(kernel_vm):
    # one login for all keys: each SSH login costs seconds of emulated CPU
    out = kernel_vm.sudo("; ".join(f"echo {key}=$(sysctl -n {key})" for key in sorted(SYSCTLS)))
    live = dict(line.split("=", 1) for line in out.stdout.split())
    assert {k: live.get(k) for k in SYSCTLS} == SYSCTLS, out.stderr


def test_audit_rules_are_loaded(kernel_vm):
    out = kernel_vm.sudo("auditctl -l; echo ---; auditctl -s")
    rules, _, status = out.stdout.partition("---")
    for key in ("identity", "scope", "time-change", "perm_mod", "session", "logins", "kernel_modules",
                "delete", "mounts", "user_emulation"):
        assert f"key={key}" in rules or f"-k {key}" in rules, (key, rules)
    assert "enabled 1" in status or "enabled 2" in status, status


@pytest.mark.parametrize("mount", ["/tmp", "/dev/shm"])  # /var/tmp (PDC-MNT-003) is level 3
def test_mount_options_are_live(kernel_vm, mount):
    opts = kernel_vm.ssh(f"findmnt -n -o OPTIONS --mountpoint {mount}").stdout.strip().split(",")
    assert {"nodev", "nosuid", "noexec"} <= set(opts), (mount, opts)


def test_firewall_is_live_default_deny_with_ssh_from_management(kernel_vm):
    if not any(c.startswith("PDC-FW-") for c in kernlab.kernel_controls()):
        pytest.skip("the catalog proves the firewall on containers (PDC-FW-* kernel: false)")
    ruleset = kernel_vm.sudo("nft list ruleset").stdout
    assert "policy drop" in ruleset and 'iif "lo" accept' in ruleset
    ssh_rule = next(line for line in ruleset.splitlines() if "tcp dport 22" in line)
    assert all(str(n) in ssh_rule for n in kernel_vm.env.management_cidrs), ssh_rule
    assert kernel_vm.ssh("true").returncode == 0, "the management path must still work"
