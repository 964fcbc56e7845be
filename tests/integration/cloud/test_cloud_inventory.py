"""`source: cloud` for the Ansible inventory against the provisioned lab cloud: the real
ansible-inventory gives the same hosts and addresses as `source: lab`, and refuses a host whose
port's address was changed by hand (naming the host, the port, the planned and the live address)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pdc import labcontract, paths

pytestmark = pytest.mark.lab

ANSIBLE_INVENTORY = Path(sys.executable).parent / "ansible-inventory"
LAB_ONLY_GROUPS = {"lab_containers", "lab_vms"}


def _copy(lab_env, folder: Path, source: str) -> Path:
    shutil.copytree(lab_env.root, folder)
    (folder / "hosts.pdc.yml").write_text(f"plugin: pdc_environment\nsource: {source}\n")
    return folder


def _inventory(folder: Path) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    environ.update(PYTHONPATH=str(paths.ROOT), ANSIBLE_CONFIG=str(paths.ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    environ.pop("PDC_PULUMI_OUTPUTS", None)
    return subprocess.run([str(ANSIBLE_INVENTORY), "-i", str(folder), "--list"], cwd=paths.ROOT, env=environ,
                          capture_output=True, text=True, timeout=300)


def _plain(value):
    return value.get("__ansible_unsafe") if isinstance(value, dict) else value


def _hosts_and_groups(run: subprocess.CompletedProcess) -> tuple[dict[str, str], dict[str, set[str]]]:
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    data = json.loads(run.stdout)
    addresses = {h: _plain(v["ansible_host"]) for h, v in data["_meta"]["hostvars"].items()}
    groups = {g: set(v.get("hosts", [])) for g, v in data.items() if g != "_meta" and g not in LAB_ONLY_GROUPS}
    return addresses, groups


def test_cloud_source_gives_the_hosts_and_addresses_of_the_lab_source(lab_cloud, lab_env, tmp_path):
    lab, lab_groups = _hosts_and_groups(_inventory(_copy(lab_env, tmp_path / "as-lab", "lab")))
    cloud, cloud_groups = _hosts_and_groups(_inventory(_copy(lab_env, tmp_path / "as-cloud", "cloud")))
    assert set(cloud) == {h.name for h in lab_env.hosts}
    if labcontract.hosts_up(lab_env.name):  # lab hosts up too (e.g. without the VM): those must agree
        assert set(lab) <= set(cloud)
        assert lab == {h: cloud[h] for h in lab}
    else:
        assert lab == cloud
        assert lab_groups == cloud_groups
    for host in lab_env.hosts:
        port = next(p for p in lab_cloud.network.ports(name=host.name))
        assert cloud[host.name] == port.fixed_ips[0]["ip_address"] == str(host.address)
    print(f"\nsource: cloud == source: lab for {len(cloud)} hosts")


def test_a_port_whose_address_was_changed_by_hand_is_refused(lab_cloud, lab_env, tmp_path):
    net = lab_cloud.network
    host = next(h for h in lab_env.hosts if h.zone == "app")
    port = net.find_port(host.name)
    [fixed] = port.fixed_ips
    moved = str(host.address + 100)
    net.update_port(port, fixed_ips=[{"subnet_id": fixed["subnet_id"], "ip_address": moved}])
    try:
        run = _inventory(_copy(lab_env, tmp_path / "as-cloud", "cloud"))
    finally:
        net.update_port(port, fixed_ips=[fixed])
    assert run.returncode != 0 and "Traceback" not in run.stderr
    text = " ".join(run.stderr.split())
    assert (f"host {host.name}: port {host.name} in project {host.system.id} has address '{moved}', "
            f"the plan says {host.address}") in text, run.stderr
    assert net.get_port(port.id).fixed_ips[0]["ip_address"] == str(host.address)
