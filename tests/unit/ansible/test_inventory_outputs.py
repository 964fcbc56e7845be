"""A saved `pulumi stack output --json` is untrusted: its addresses must be IPv4 inside the plan (issue 13, item 4).

The inventory file's admin_user, which becomes ansible_user, must be a plain user name too.

Each case runs the real ``ansible-inventory`` on a model-sourced copy of haiduong whose
``hosts.pdc.yml`` names a saved outputs file.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from ansible_support import ANSIBLE_PLAYBOOK, ansible_env, make_model_inventory

from pdc import paths
from pdc.environment import load_environment

ANSIBLE_INVENTORY = ANSIBLE_PLAYBOOK.parent / "ansible-inventory"


@pytest.fixture(scope="module")
def host():
    env = load_environment(paths.INVENTORIES / "haiduong")
    first = env.hosts[0]
    return first.name, env.zone_subnet(first.system, first.zone)


def inventory_with(tmp_path, hosts: dict) -> subprocess.CompletedProcess:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"hosts": hosts}))
    folder = make_model_inventory(tmp_path / "haiduong", f"pulumi_outputs: {outputs}\n")
    return subprocess.run([str(ANSIBLE_INVENTORY), "-i", str(folder), "--list"], cwd=paths.ROOT,
                          env=ansible_env(), capture_output=True, text=True, timeout=60)


def test_an_address_inside_the_plan_becomes_ansible_host(tmp_path, host):
    name, subnet = host
    address = str(subnet.network_address + 200)
    run = inventory_with(tmp_path, {name: {"address": address}})
    assert run.returncode == 0, run.stderr
    value = json.loads(run.stdout)["_meta"]["hostvars"][name]["ansible_host"]
    assert value in (address, {"__ansible_unsafe": address})  # ansible-inventory marks it unsafe


@pytest.mark.parametrize("value", ["{first} -oProxyCommand=touch /tmp/pwned", "{first}\nProxyCommand x",
                                   "-oProxyCommand=touch /tmp/pwned", "{first} ", "::1", "host.example", 168430090])
def test_an_address_that_is_not_plain_ipv4_is_refused(tmp_path, host, value):
    name, subnet = host
    if isinstance(value, str):
        value = value.format(first=subnet.network_address + 10)
    run = inventory_with(tmp_path, {name: {"address": value}})
    assert run.returncode != 0
    # the file, the key and the value, escaped (a newline shows as \n, not as a line break)
    assert f"outputs.json: hosts.{name}.address is {value!r}: not an IPv4 address" in run.stderr.replace("\n", " ")


def test_an_address_outside_the_hosts_planned_subnet_is_refused(tmp_path, host):
    name, subnet = host
    env = load_environment(paths.INVENTORIES / "haiduong")
    # another host's own planned address (inside the plan, in another zone), then outside the plan
    other = next(h for h in env.hosts if h.address not in subnet)
    for value in (str(other.address), "192.0.2.10", str(subnet.network_address), str(subnet.broadcast_address)):
        run = inventory_with(tmp_path, {name: {"address": value}})
        assert run.returncode != 0
        assert f"hosts.{name}.address is {value!r}: outside {name}'s planned" in run.stderr.replace("\n", " ")
        assert str(subnet) in run.stderr


@pytest.mark.parametrize("user", ["x -oProxyCommand=id", "admin\n", "Root"])
def test_an_admin_user_that_is_not_a_user_name_is_refused(tmp_path, user):
    folder = make_model_inventory(tmp_path / "haiduong", f"admin_user: {json.dumps(user)}\n")
    run = subprocess.run([str(ANSIBLE_INVENTORY), "-i", str(folder), "--list"], cwd=paths.ROOT,
                         env=ansible_env(), capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert f"hosts.pdc.yml: admin_user is {user!r}, not a user name" in run.stderr.replace("\n", " ")
