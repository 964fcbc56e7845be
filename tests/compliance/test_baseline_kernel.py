"""Mounts, kernel modules and sysctls (baseline role): what the running kernel enforces."""

from __future__ import annotations

import pytest

from pdc.audit.suite import Item, items

MOUNTS = {
    "/tmp": ("tmpfs", ["nodev", "nosuid", "noexec"]),
    "/dev/shm": (None, ["nodev", "nosuid", "noexec"]),
    "/var/tmp": (None, ["nodev", "nosuid", "noexec"]),
}


def mount_items(path: str):
    fstype, options = MOUNTS[path]
    first = Item(f"{path} mounted" + (f" as {fstype}" if fstype else ""), (path, "fstype", fstype))
    return lambda t: [first] + [Item(f"{path} {o}", (path, "option", o)) for o in options]


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
@items(mount_items("/tmp"))
def test_tmp_mount(target, item, facts, evidence):
    _check_mount(facts, evidence, item)


@pytest.mark.control("PDC-MNT-002")
@items(mount_items("/dev/shm"))
def test_dev_shm_mount(target, item, facts, evidence):
    _check_mount(facts, evidence, item)


@pytest.mark.control("PDC-MNT-003")
@items(mount_items("/var/tmp"))
def test_var_tmp_mount(target, item, facts, evidence):
    _check_mount(facts, evidence, item)


# ------------------------------------------------------------------ modules

MODPROBE_CONFIG = ("modprobe --showconfig 2>/dev/null || "
                   "cat /etc/modprobe.d/*.conf /lib/modprobe.d/*.conf /usr/lib/modprobe.d/*.conf 2>/dev/null")
FILESYSTEMS = ["cramfs", "freevxfs", "hfs", "hfsplus", "jffs2", "udf"]
PROTOCOLS = ["dccp", "tipc", "rds", "sctp"]


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
@items(lambda t: [Item(m) for m in FILESYSTEMS])
def test_filesystem_modules_disabled(target, item, facts, evidence):
    _check_module(facts, evidence, item.id)


@pytest.mark.control("PDC-MOD-002")
def test_usb_storage_disabled(target, facts, evidence):
    _check_module(facts, evidence, "usb-storage")


@pytest.mark.control("PDC-MOD-003")
@items(lambda t: [Item(m) for m in PROTOCOLS])
def test_network_protocol_modules_disabled(target, item, facts, evidence):
    _check_module(facts, evidence, item.id)


# ------------------------------------------------------------------ sysctl (live values from /proc/sys)


def sysctl_items(expected: dict[str, str]):
    return lambda t: [Item(k, v) for k, v in expected.items()]


def _check_sysctl(facts, evidence, item, at_least: bool = False):
    value = facts.sysctl(item.id)
    evidence(f"sysctl {item.id} = {value}")
    assert value is not None, f"sysctl {item.id} does not exist on this kernel"
    if at_least:
        assert int(value) >= int(item.value), f"{item.id} = {value}, expected >= {item.value}"
    else:
        assert value == str(item.value), f"{item.id} = {value}, expected {item.value}"


@pytest.mark.control("PDC-SYS-001")
@items(sysctl_items({"kernel.randomize_va_space": "2"}))
def test_aslr(target, item, facts, evidence):
    _check_sysctl(facts, evidence, item)


@pytest.mark.control("PDC-SYS-002")
@items(sysctl_items({"kernel.yama.ptrace_scope": "1"}))
def test_ptrace_scope(target, item, facts, evidence):
    _check_sysctl(facts, evidence, item, at_least=True)


@pytest.mark.control("PDC-SYS-003")
@items(sysctl_items({"kernel.kptr_restrict": "2", "kernel.dmesg_restrict": "1",
                     "kernel.unprivileged_bpf_disabled": "1"}))
def test_kernel_info_hidden(target, item, facts, evidence):
    _check_sysctl(facts, evidence, item, at_least=item.id == "kernel.unprivileged_bpf_disabled")


@pytest.mark.control("PDC-SYS-004")
@items(sysctl_items({"fs.suid_dumpable": "0", "fs.protected_hardlinks": "1", "fs.protected_symlinks": "1"}))
def test_suid_dump_and_link_protection(target, item, facts, evidence):
    _check_sysctl(facts, evidence, item)


def _forwarding(t):
    on = "1" if t.model is not None and t.model.group.ip_forwarding else "0"
    return [Item("net.ipv4.ip_forward", on), Item("net.ipv6.conf.all.forwarding", on)]


@pytest.mark.control("PDC-SYS-005")
@items(_forwarding)
def test_ip_forwarding(target, item, facts, evidence):
    _check_sysctl(facts, evidence, item)


@pytest.mark.control("PDC-SYS-006")
@items(sysctl_items({
    "net.ipv4.conf.all.send_redirects": "0", "net.ipv4.conf.default.send_redirects": "0",
    "net.ipv4.conf.all.accept_redirects": "0", "net.ipv4.conf.default.accept_redirects": "0",
    "net.ipv6.conf.all.accept_redirects": "0", "net.ipv6.conf.default.accept_redirects": "0",
    "net.ipv4.conf.all.secure_redirects": "0", "net.ipv4.conf.default.secure_redirects": "0"}))
def test_icmp_redirects(target, item, facts, evidence):
    _check_sysctl(facts, evidence, item)


@pytest.mark.control("PDC-SYS-007")
@items(sysctl_items({
    "net.ipv4.conf.all.accept_source_route": "0", "net.ipv4.conf.default.accept_source_route": "0",
    "net.ipv6.conf.all.accept_source_route": "0", "net.ipv4.conf.all.rp_filter": "1",
    "net.ipv4.conf.default.rp_filter": "1"}))
def test_source_route_and_rp_filter(target, item, facts, evidence):
    _check_sysctl(facts, evidence, item)


@pytest.mark.control("PDC-SYS-008")
@items(sysctl_items({
    "net.ipv4.icmp_echo_ignore_broadcasts": "1", "net.ipv4.icmp_ignore_bogus_error_responses": "1",
    "net.ipv4.conf.all.log_martians": "1", "net.ipv4.conf.default.log_martians": "1",
    "net.ipv4.tcp_syncookies": "1"}))
def test_icmp_martians_syncookies(target, item, facts, evidence):
    _check_sysctl(facts, evidence, item)


@pytest.mark.control("PDC-SYS-009")
@items(sysctl_items({"net.ipv6.conf.all.accept_ra": "0", "net.ipv6.conf.default.accept_ra": "0"}))
def test_ipv6_router_advertisements(target, item, facts, evidence):
    _check_sysctl(facts, evidence, item)


@pytest.mark.control("PDC-SYS-010")
@items(sysctl_items({"kernel.sysrq": "0"}))
def test_sysrq(target, item, facts, evidence):
    _check_sysctl(facts, evidence, item)
