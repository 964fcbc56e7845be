"""The lab's real-kernel host: a QEMU VM on the planned address, resumed from its snapshot."""

from __future__ import annotations

import subprocess
import time

import pytest

from pdc.lab import hosts

pytestmark = [pytest.mark.lab, pytest.mark.kernel]


def vm_hosts(env) -> list:
    return [h for h in env.hosts if h.group.lab_kind == "vm"]


def ssh(record: dict, host: str, command: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(["ssh", "-F", record["ssh_config"], host, command], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def test_the_lab_has_a_vm_host(lab_env):
    assert vm_hosts(lab_env), "the lab environment needs a lab_kind: vm host for the kernel tier"


def test_vm_is_reachable_on_its_planned_address(lab_vm, lab_env):
    report = {item["name"]: item for item in hosts.status(lab_env)}
    for host in vm_hosts(lab_env):
        assert lab_vm["hosts"][host.name]["kind"] == "vm"
        assert report[host.name]["reachable"], f"{host.name}: no SSH login"
        result = ssh(lab_vm, host.name, "hostname; ip -4 -o addr show dev eth0; sudo -n id -u; python3 -V")
        assert result.returncode == 0, result.stderr
        lines = result.stdout.split("\n")
        assert lines[0] == host.name
        assert f" {host.address}/" in lines[1]
        assert lines[2] == "0"
        assert lines[3].startswith("Python 3")


def test_vm_has_a_real_kernel(lab_vm, lab_env):
    """What containers cannot do: kernel.* sysctls and the audit subsystem."""
    host = vm_hosts(lab_env)[0].name
    result = ssh(lab_vm, host, "uname -r; sudo sysctl -w kernel.dmesg_restrict=1 && "
                               "sudo cat /proc/sys/kernel/dmesg_restrict; grep -c ' / ext4 ' /proc/mounts")
    assert result.returncode == 0, result.stderr
    kernel, _, value, root_is_ext4 = result.stdout.split("\n")[:4]
    assert kernel.endswith("-amd64"), "a Debian kernel, not the machine's"
    assert value == "1"
    assert root_is_ext4 == "1"


def test_vm_clock_follows_the_machine_after_resume(lab_vm, lab_env):
    host = vm_hosts(lab_env)[0].name
    before = time.time()
    result = ssh(lab_vm, host, "date +%s")
    after = time.time()
    assert result.returncode == 0
    assert before - 30 <= int(result.stdout) <= after + 30, "hwclock --hctosys ran after the resume"


def test_vm_reaches_the_lab_mirror(lab_vm, lab_env):
    host = vm_hosts(lab_env)[0].name
    url = lab_env.settings.shared_services.package_mirror.debian.rstrip("/") + "/dists/bookworm/Release"
    code = f"import urllib.request; print(urllib.request.urlopen({url!r}, timeout=60).read(200).decode())"
    result = ssh(lab_vm, host, f"python3 -c {code!r}")
    assert result.returncode == 0, result.stderr
    assert "Codename: bookworm" in result.stdout
