"""Mounts, kernel modules and sysctls (baseline role): what the running kernel enforces."""

from __future__ import annotations

import pytest

from pdc.audit.facts import MODPROBE_CONFIG
from pdc.audit.policy import norm, per_control, setting
from pdc.audit.suite import Item, items

HARDENING_OPTIONS = ("nodev", "nosuid", "noexec")


def mount_items(control: str):
    """The mount the baseline role makes for this control, and its hardening options."""
    def make(t):
        spec = next(m for m in setting("baseline", "baseline_mounts") if m["control"] == control)
        path, fstype = spec["path"], spec["fstype"] if spec["fstype"] != "none" else None
        options = [o for o in spec["opts"].split(",") if o in HARDENING_OPTIONS]
        first = Item(f"{path} mounted" + (f" as {fstype}" if fstype else ""), (path, "fstype", fstype))
        return [first] + [Item(f"{path} {o}", (path, "option", o)) for o in options]
    return make


def _check_mount(facts, evidence, item):
    path, kind, want = item.value
    mounted = facts.mounts().get(path)
    assert mounted is not None, f"{path} is not a separate mount (findmnt shows nothing for it)"
    evidence(f"findmnt {path}: {mounted['fstype']} {mounted['options']}")
    if kind == "fstype" and want:
        assert mounted["fstype"] == want, f"{path} is {mounted['fstype']}, expected {want}"
    elif kind == "option":
        assert want in mounted["options"].split(","), f"{path} is mounted without {want}: {mounted['options']}"


@pytest.mark.control("PDC-MNT-001")
@items(mount_items("PDC-MNT-001"))
def test_tmp_mount(target, item, facts, evidence):
    _check_mount(facts, evidence, item)


@pytest.mark.control("PDC-MNT-002")
@items(mount_items("PDC-MNT-002"))
def test_dev_shm_mount(target, item, facts, evidence):
    _check_mount(facts, evidence, item)


@pytest.mark.control("PDC-MNT-003")
@items(mount_items("PDC-MNT-003"))
def test_var_tmp_mount(target, item, facts, evidence):
    _check_mount(facts, evidence, item)


# ------------------------------------------------------------------ modules



def module_items(control: str):
    """The modules the baseline role turns off for this control (roles/baseline/defaults)."""
    return lambda t: [Item(m) for m in per_control("baseline", "baseline_modules_off", control)]


def _check_module(facts, evidence, module):
    lines = [" ".join(line.split()) for line in facts.run(MODPROBE_CONFIG).stdout.splitlines()]
    names = {module, module.replace("-", "_")}
    install = [line for line in lines if line.startswith("install ") and line.split()[1] in names]
    blacklist = [line for line in lines if line.startswith("blacklist ") and line.split()[1] in names]
    evidence("\n".join(install + blacklist) or f"no install/blacklist line for {module}")
    assert any(line.split()[2:] and line.split()[2] in ("/bin/false", "/bin/true", "/usr/bin/false",
                                                         "/usr/bin/true") for line in install), (
        f"{module} can be loaded: modprobe has no 'install {module} /bin/false'")
    assert blacklist, f"{module} is not blacklisted"


@pytest.mark.control("PDC-MOD-001")
@items(module_items("PDC-MOD-001"))
def test_filesystem_modules_disabled(target, item, facts, evidence):
    _check_module(facts, evidence, item.id)


@pytest.mark.control("PDC-MOD-002")
@items(module_items("PDC-MOD-002"))
def test_usb_storage_disabled(target, item, facts, evidence):
    _check_module(facts, evidence, item.id)


@pytest.mark.control("PDC-MOD-003")
@items(module_items("PDC-MOD-003"))
def test_network_protocol_modules_disabled(target, item, facts, evidence):
    _check_module(facts, evidence, item.id)


@pytest.mark.control("PDC-MOD-004")
@items(module_items("PDC-MOD-004"))
def test_wireless_and_bluetooth_modules_disabled(target, item, facts, evidence):
    _check_module(facts, evidence, item.id)


# ------------------------------------------------------------------ sysctl (live values from /proc/sys)


def sysctl_items(control: str):
    """The sysctls this control requires (controls/catalog.yml values.sysctl)."""
    return lambda t: [Item(k, str(v)) for k, v in norm(control, "sysctl").items()]


# CIS asks for "at least" on these: a stricter value passes
AT_LEAST = {"kernel.yama.ptrace_scope", "kernel.unprivileged_bpf_disabled"}


def _check_sysctl(facts, evidence, item):
    value = facts.sysctl(item.id)
    evidence(f"sysctl {item.id} = {value}")
    assert value is not None, f"sysctl {item.id} does not exist on this kernel"
    if item.id in AT_LEAST:
        assert int(value) >= int(item.value), f"{item.id} = {value}, expected >= {item.value}"
    else:
        assert value == str(item.value), f"{item.id} = {value}, expected {item.value}"


@pytest.mark.control("PDC-SYS-001")
@items(sysctl_items("PDC-SYS-001"))
def test_aslr(target, item, facts, evidence):
    _check_sysctl(facts, evidence, item)


@pytest.mark.control("PDC-SYS-002")
@items(sysctl_items("PDC-SYS-002"))
def test_ptrace_scope(target, item, facts, evidence):
    _check_sysctl(facts, evidence, item)


@pytest.mark.control("PDC-SYS-003")
@items(sysctl_items("PDC-SYS-003"))
def test_kernel_info_hidden(target, item, facts, evidence):
    _check_sysctl(facts, evidence, item)


@pytest.mark.control("PDC-SYS-004")
@items(sysctl_items("PDC-SYS-004"))
def test_suid_dump_and_link_protection(target, item, facts, evidence):
    _check_sysctl(facts, evidence, item)


def _forwarding(t):
    """Off unless the environment says the host routes (VmGroup.ip_forwarding)."""
    on = "1" if t.model is not None and t.model.group.ip_forwarding else "0"
    return [Item("net.ipv4.ip_forward", on), Item("net.ipv6.conf.all.forwarding", on)]


@pytest.mark.control("PDC-SYS-005")
@items(_forwarding)
def test_ip_forwarding(target, item, facts, evidence):
    _check_sysctl(facts, evidence, item)


@pytest.mark.control("PDC-SYS-006")
@items(sysctl_items("PDC-SYS-006"))
def test_icmp_redirects(target, item, facts, evidence):
    _check_sysctl(facts, evidence, item)


@pytest.mark.control("PDC-SYS-007")
@items(sysctl_items("PDC-SYS-007"))
def test_source_route_and_rp_filter(target, item, facts, evidence):
    _check_sysctl(facts, evidence, item)


@pytest.mark.control("PDC-SYS-008")
@items(sysctl_items("PDC-SYS-008"))
def test_icmp_martians_syncookies(target, item, facts, evidence):
    _check_sysctl(facts, evidence, item)


@pytest.mark.control("PDC-SYS-009")
@items(sysctl_items("PDC-SYS-009"))
def test_ipv6_router_advertisements(target, item, facts, evidence):
    _check_sysctl(facts, evidence, item)


@pytest.mark.control("PDC-SYS-010")
@items(sysctl_items("PDC-SYS-010"))
def test_sysrq(target, item, facts, evidence):
    _check_sysctl(facts, evidence, item)


@pytest.mark.control("PDC-MOD-005")
@items(module_items("PDC-MOD-005"))
def test_overlay_and_squashfs_disabled(target, item, facts, evidence):
    _check_module(facts, evidence, item.id)
