"""The lab's containers: reachable, usable by Ansible and testinfra, packages through the mirror."""

from __future__ import annotations

import json
import subprocess

import pytest

from pdc import paths
from pdc.lab import hosts
from pdc.lab.state import LabState

pytestmark = pytest.mark.lab
VENV = paths.ROOT / ".venv" / "bin"


def ssh(record: dict, host: str, command: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(["ssh", "-F", record["ssh_config"], host, command], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def containers(env) -> list:
    return [h for h in env.hosts if h.group.lab_kind == "container"]


def test_status_reports_every_container_reachable(lab_hosts, lab_env):
    report = {item["name"]: item for item in hosts.status(lab_env)}
    for host in containers(lab_env):
        assert report[host.name]["address"] == str(host.address)
        assert report[host.name]["reachable"], f"{host.name}: no SSH login"


def test_ssh_sudo_python_and_address_on_every_container(lab_hosts, lab_env):
    for host in containers(lab_env):
        result = ssh(lab_hosts, host.name,
                     "hostname; sudo -n id -u; python3 -c 'import apt; print(\"apt ok\")'; "
                     "ip -4 -o addr show dev eth0; . /etc/os-release; echo $VERSION_CODENAME")
        assert result.returncode == 0, f"{host.name}: {result.stderr}"
        lines = result.stdout.split("\n")
        assert lines[0] == host.name
        assert lines[1] == "0", "passwordless sudo as pdcadmin"
        assert lines[2] == "apt ok", "python3-apt is in the base tree"
        assert f" {host.address}/" in lines[3]
        assert lines[4] == {"debian12": "bookworm", "debian13": "trixie"}[host.group.os]


def test_sudo_does_not_stall(lab_hosts, lab_env):
    """An unresolvable hostname makes sudo wait ~20 s for DNS; /etc/hosts prevents it."""
    host = containers(lab_env)[0].name
    result = ssh(lab_hosts, host, "s=$(date +%s%N); sudo -n true; echo $(( ($(date +%s%N) - s) / 1000000 ))")
    assert result.returncode == 0
    assert int(result.stdout.strip()) < 2000


def test_kernel_sysctls_are_read_only_and_root_locked(lab_hosts, lab_env):
    host = containers(lab_env)[0].name
    result = ssh(lab_hosts, host, "sudo sh -c 'echo 4 > /proc/sys/kernel/printk' 2>&1; echo rc=$?; "
                                  "grep ' /proc/sys ' /proc/mounts; sudo passwd -S root")
    assert "rc=0" not in result.stdout, "a container must not write the machine's kernel sysctls"
    assert " ro," in result.stdout.split("\n")[-3] or "ro," in result.stdout
    assert " L " in result.stdout, "root is locked"


def test_zones_route_through_the_core_and_nothing_routes_out(lab_hosts, lab_env):
    web, db = lab_env.host("tthc-web-01"), lab_env.host("tthc-db-01")
    result = ssh(lab_hosts, web.name, f"timeout 5 bash -c '</dev/tcp/{db.address}/22' && echo reached")
    assert result.stdout.strip() == "reached", "hosts in different zones reach each other via the core"
    core = LabState(lab_env.name).core_ns
    routes = subprocess.run(["ip", "-n", core, "route"], capture_output=True, text=True).stdout
    assert "default" not in routes, "the lab core has no way out"


def test_inventory_plugin_resolves_lab_hosts_and_ansible_reaches_them(lab_hosts, lab_env):
    inventory = subprocess.run([str(VENV / "ansible-inventory"), "-i", "inventories/lab", "--list"],
                               capture_output=True, text=True, cwd=paths.ROOT, check=True)
    data = json.loads(inventory.stdout)
    hostvars = data["_meta"]["hostvars"]
    for host in containers(lab_env):
        hv = _plain(hostvars[host.name])
        assert hv["ansible_host"] == str(host.address)
        assert hv["ansible_user"] == "pdcadmin"
        assert hv["pdc_system"] == host.system.id and hv["pdc_zone"] == host.zone
        assert hv["pdc_level"] == host.level and hv["pdc_os"] == host.group.os
        assert hv["pdc_lab_kind"] == "container"
        for group in host.ansible_groups:
            assert host.name in data[group]["hosts"] or _in_children(data, group, host.name)
    ping = subprocess.run([str(VENV / "ansible"), "-i", "inventories/lab", "lab_containers", "-b", "-m", "ping"],
                          capture_output=True, text=True, cwd=paths.ROOT, timeout=300)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert ping.stdout.count("SUCCESS") == len(containers(lab_env))


def test_apt_installs_through_the_lab_mirror(lab_hosts, lab_env):
    """Packages come the way production gets them: the mirror named in shared_services."""
    host = lab_env.host("tthc-db-01")
    result = ssh(lab_hosts, host.name, "grep -h '^deb ' /etc/apt/sources.list; "
                 "sudo apt-get update -q && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q lynis "
                 "&& sudo lynis --version", timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    mirror = lab_env.settings.shared_services.package_mirror
    assert f"deb {mirror.debian} bookworm main" in result.stdout
    assert f"deb {mirror.security} bookworm-security main" in result.stdout


def _plain(hostvars: dict) -> dict:
    """ansible-inventory --list wraps untrusted strings as {'__ansible_unsafe': value}."""
    return {k: v["__ansible_unsafe"] if isinstance(v, dict) and "__ansible_unsafe" in v else v
            for k, v in hostvars.items()}


def _in_children(data: dict, group: str, host: str) -> bool:
    return any(host in data.get(child, {}).get("hosts", []) for child in data.get(group, {}).get("children", []))
