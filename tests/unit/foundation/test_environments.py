"""The shipped environments are valid, and addresses derive deterministically from the plan."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from itertools import combinations

import pytest

from pdc.environment import InvalidEnvironment, load_environment
from pdc.flows import flows


def pdc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pdc.cli", *args], capture_output=True, text=True, check=False)


@pytest.mark.parametrize("name", ["lab", "haiduong"])
def test_shipped_environment_validates(name):
    result = pdc("validate", name)
    assert result.returncode == 0, result.stderr
    assert f"{name}: valid" in result.stdout


def test_haiduong_json_lists_248_sites_and_every_system_level():
    result = pdc("show", "haiduong", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(data["sites"]) == 248
    tiers = [s["tier"] for s in data["sites"]]
    assert (tiers.count("dc"), tiers.count("district"), tiers.count("commune")) == (1, 12, 235)
    assert len(data["systems"]) >= 9
    assert all(1 <= s["level"] <= 5 for s in data["systems"])
    assert {"infra", "soc", "tthc", "lgsp", "ioc", "qlvb", "mail"} <= {s["id"] for s in data["systems"]}


def test_show_for_people_has_tables():
    result = pdc("show", "lab")
    assert result.returncode == 0, result.stderr
    for word in ("systems", "WAN sites", "address plan", "tthc", "commune"):
        assert word in result.stdout


def test_lab_has_what_the_tests_and_demo_need():
    env = load_environment("lab")
    oses = {h.group.os for h in env.hosts}
    assert oses == {"debian12", "debian13"}
    zones = {h.zone for h in env.hosts}
    assert {"dmz", "app", "db"} <= zones
    assert any(h.group.lab_kind == "vm" for h in env.hosts)
    assert flows(env).server_addresses("syslog", without_devices=True)
    assert 10 <= len(env.sites) <= 14


@pytest.mark.parametrize("name", ["lab", "haiduong"])
def test_addresses_are_unique_and_inside_their_subnets(name):
    env = load_environment(name)
    addresses = [h.address for h in env.hosts]
    assert len(set(addresses)) == len(addresses)
    for host in env.hosts:
        assert host.address in env.zone_subnet(host.system, host.zone)
    subnets = [n for s in env.systems for n in env.zone_subnets(s).values()]
    assert not [(a, b) for a, b in combinations(subnets, 2) if a.overlaps(b)]
    mgmt = [env.mgmt_ip(s) for s in env.sites]
    assert len(set(mgmt)) == len(mgmt)
    nets = [n.subnet for s in env.sites for n in env.agency_nets(s)]
    assert len(set(nets)) == len(nets)


def test_allocation_is_deterministic_and_stable_when_a_system_is_added(tmp_path):
    env_dir = tmp_path / "lab"
    shutil.copytree(load_environment("lab").root, env_dir)
    before = {h.name: h.address for h in load_environment(env_dir).hosts}
    systems = env_dir / "systems.yml"
    systems.write_text(systems.read_text(encoding="utf-8").replace("systems:\n", """systems:
  - id: ioc
    name_vi: Trung tâm điều hành thông minh
    name_en: Intelligent operations centre
    owner: Sở KH&CN
    level: 3
    slot: 9
    zones: [app]
    quota: {class: basic}
    admin_group: ioc-admins
    vm_groups:
      - {name: app, count: 1, flavor: m1.small, image: debian-12, os: debian12, boot_volume_gb: 10, zone: app}
""", 1), encoding="utf-8")
    after = {h.name: h.address for h in load_environment(env_dir).hosts}
    assert {k: v for k, v in after.items() if k in before} == before
    assert str(after["ioc-app-01"]) == "10.20.37.10"


def test_explicit_subnet_override_wins(tmp_path):
    env_dir = tmp_path / "lab"
    shutil.copytree(load_environment("lab").root, env_dir)
    systems = env_dir / "systems.yml"
    text = systems.read_text(encoding="utf-8").replace(
        "    zones: [dmz, app, db]\n", "    zones: [dmz, app, db]\n    subnets: {dmz: 10.20.200.0/24}\n", 1)
    systems.write_text(text, encoding="utf-8")
    env = load_environment(env_dir)
    assert str(env.host("tthc-web-01").address) == "10.20.200.10"


@pytest.mark.parametrize("content, message", [
    (None, "cannot read"),
    (b"\xff\xfe not utf-8", "not UTF-8"),
    (b"- just\n- a list\n", "valid dictionary"),
    (b"", "required field is missing"),
])
def test_bad_files_give_clear_errors(tmp_path, content, message):
    env_dir = tmp_path / "lab"
    shutil.copytree(load_environment("lab").root, env_dir)
    target = env_dir / "sites.yml"
    if content is None:
        target.unlink()
    else:
        target.write_bytes(content)
    with pytest.raises(InvalidEnvironment) as caught:
        load_environment(env_dir)
    assert any(e.file.endswith("sites.yml") and message in e.message for e in caught.value.errors), caught.value


def test_unknown_environment_is_a_clear_error():
    result = pdc("validate", "no-such-env")
    assert result.returncode == 1
    assert "no such environment" in result.stderr
    assert "Traceback" not in result.stderr
