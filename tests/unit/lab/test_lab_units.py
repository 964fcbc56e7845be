"""Lab pieces that need no root: preflight errors, mirror checks, SSH files, the inventory plugin."""

from __future__ import annotations

import json
import os
import subprocess
from ipaddress import IPv4Address, IPv4Network

import pytest

from pdc import paths
from pdc.environment import load_environment
from pdc.lab import errors, hosts, netns, proxy, ssh
from pdc.lab.state import LabState

VENV = paths.ROOT / ".venv" / "bin"


@pytest.fixture(scope="module")
def lab_model():
    return load_environment("lab")


@pytest.fixture(scope="module")
def haiduong():
    return load_environment("haiduong")


def test_missing_tool_names_the_debian_package(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(errors.os.path, "exists", lambda p: False)
    with pytest.raises(errors.LabError) as exc:
        errors.require_tools("systemd-nspawn", "qemu-img", "debootstrap")
    message = str(exc.value)
    assert "apt-get install -y" in message
    for package in ("systemd-container", "qemu-utils", "debootstrap"):
        assert package in message


def test_not_root_is_a_clear_error(monkeypatch, lab_model):
    monkeypatch.setattr(errors.os, "geteuid", lambda: 1000)
    with pytest.raises(errors.LabError, match="needs root"):
        hosts.up(lab_model)
    with pytest.raises(errors.LabError, match="needs root"):
        hosts.down(lab_model)


def test_lab_mirror_is_read_from_the_model(lab_model):
    machine = netns.machine_address(lab_model.settings.lab.gateway_network)
    host, port, mapping = proxy.mirror_endpoint(lab_model, machine)
    mirror = lab_model.settings.shared_services.package_mirror
    assert f"http://{host}:{port}/debian" == mirror.debian
    assert mapping == {"debian": "/debian", "security": "/debian-security"}
    sources = proxy.sources_list(lab_model, "trixie")
    assert f"deb {mirror.security} trixie-security main" in sources


def test_production_mirror_cannot_be_served_by_the_lab(haiduong):
    with pytest.raises(errors.LabError, match="shared_services.package_mirror.debian"):
        proxy.mirror_endpoint(haiduong, IPv4Address("10.99.0.1"))


def test_environment_without_lab_gateway_is_refused(haiduong):
    with pytest.raises(errors.LabError, match="lab.gateway_network is not set"):
        hosts.gateway_network(haiduong)


def test_interface_names_fit_the_kernel_limit(lab_model, haiduong):
    for env in (lab_model, haiduong):
        state = LabState(env.name)
        assert len(state.uplink) <= 15
        for system in env.systems:
            for subnet in env.zone_subnets(system).values():
                assert len(netns.bridge_name(subnet)) <= 15
    assert netns.mac("a") == netns.mac("a") != netns.mac("b")
    assert netns.machine_address(IPv4Network("10.99.0.0/30")) == IPv4Address("10.99.0.1")


def test_ssh_config_has_one_block_per_host_with_strict_host_keys(tmp_path, monkeypatch, lab_model):
    monkeypatch.setattr(paths, "STATE", tmp_path)
    state = LabState("lab")
    state.root.mkdir(parents=True)
    ssh.ensure_client_key(state)
    for host in lab_model.hosts[:2]:
        ssh.ensure_host_keys(state, host.name)
    ssh.write_client_files(state, {h.name: str(h.address) for h in lab_model.hosts[:2]})
    text = state.ssh_config.read_text()
    for host in lab_model.hosts[:2]:
        assert f"Host {host.name}\n  HostName {host.address}\n  User pdcadmin\n" in text
    assert "StrictHostKeyChecking yes" in text
    known = state.known_hosts.read_text()
    assert f"{lab_model.hosts[0].name},{lab_model.hosts[0].address} ssh-ed25519 " in known
    assert oct(state.key.stat().st_mode & 0o777) == "0o600"


def _inventory(env_dir, extra_env=None) -> dict:
    result = subprocess.run([str(VENV / "ansible-inventory"), "-i", str(env_dir), "--list"], capture_output=True,
                            text=True, cwd=paths.ROOT, env={**os.environ, **(extra_env or {})})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _plain(value):
    return value["__ansible_unsafe"] if isinstance(value, dict) and "__ansible_unsafe" in value else value


def test_inventory_for_production_comes_from_the_model(haiduong):
    data = _inventory(paths.INVENTORIES / "haiduong")
    hostvars = data["_meta"]["hostvars"]
    assert sorted(hostvars) == sorted(h.name for h in haiduong.hosts)
    host = haiduong.hosts[0]
    hv = {k: _plain(v) for k, v in hostvars[host.name].items()}
    assert hv["ansible_host"] == str(host.address)
    assert hv["pdc_system"] == host.system.id
    assert hv["pdc_level"] == host.level
    assert [_plain(r) for r in hv["pdc_roles"]] == list(host.group.roles)
    for group in host.ansible_groups:
        assert host.name in data[group]["hosts"]
    # environment.yml / systems.yml / sites.yml are the model, not inventory sources
    assert "systems" not in data and "sites" not in data


def test_inventory_for_the_lab_lists_the_hosts_the_lab_published(tmp_path, lab_model):
    started = [h.name for h in lab_model.hosts if h.group.lab_kind == "container"][:2]
    root = tmp_path / "lab" / "lab"
    root.mkdir(parents=True)
    (root / "hosts.json").write_text(json.dumps({"hosts": {n: {"address": "10.99.0.50"} for n in started}}))
    data = _inventory(paths.INVENTORIES / "lab", {"PDC_STATE": str(tmp_path)})
    hostvars = data["_meta"]["hostvars"]
    assert sorted(hostvars) == sorted(started)
    first = {k: _plain(v) for k, v in hostvars[started[0]].items()}
    assert first["ansible_host"] == "10.99.0.50"
    assert first["ansible_ssh_private_key_file"] == str(root / "id_ed25519")
    assert f"UserKnownHostsFile={root / 'known_hosts'}" in first["ansible_ssh_common_args"]


def test_inventory_uses_saved_pulumi_outputs(tmp_path, haiduong):
    host = haiduong.hosts[0]
    address = str(haiduong.zone_subnet(host.system, host.zone).network_address + 200)  # inside the plan
    outputs = {"hosts": {host.name: {"address": address, "system": host.system.id, "zone": host.zone,
                                     "level": host.level, "groups": host.ansible_groups}}}
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    data = _inventory(paths.INVENTORIES / "haiduong", {"PDC_PULUMI_OUTPUTS": str(path)})
    assert _plain(data["_meta"]["hostvars"][host.name]["ansible_host"]) == address
    other = haiduong.hosts[1]
    assert _plain(data["_meta"]["hostvars"][other.name]["ansible_host"]) == str(other.address)


def test_inventory_refuses_outputs_that_disagree_with_the_model(tmp_path, haiduong):
    host = haiduong.hosts[0]
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"hosts": {host.name: {"address": "10.200.0.7", "system": "someone-else"}}}))
    result = subprocess.run([str(VENV / "ansible-inventory"), "-i", str(paths.INVENTORIES / "haiduong"), "--list"],
                            capture_output=True, text=True, cwd=paths.ROOT,
                            env={**os.environ, "PDC_PULUMI_OUTPUTS": str(path)})
    assert result.returncode != 0
    assert "the model says" in result.stderr


def test_state_files_are_born_with_their_mode(tmp_path, monkeypatch):
    """A secret state file is never readable by others, not even between create and chmod."""
    import os

    from pdc.lab import state

    seen = []
    real_open = os.open

    def spy(path, flags, mode=0o777, *args, **kwargs):
        seen.append(mode)
        return real_open(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    old = os.umask(0)
    try:
        state.write_atomic(tmp_path / "switches.json", "{}\n", mode=0o600)
    finally:
        os.umask(old)
    assert seen == [0o600]
    assert (tmp_path / "switches.json").stat().st_mode & 0o777 == 0o600
    (tmp_path / ".target.tmp").symlink_to(tmp_path / "planted")
    state.write_atomic(tmp_path / "target", "x", mode=0o600)
    assert not (tmp_path / "planted").exists()
