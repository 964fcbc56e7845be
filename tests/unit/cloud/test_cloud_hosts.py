"""`source: cloud` without a cloud: each host's address from the port the plan names, and every
disagreement with the plan refused naming the host, the port, the planned and the live address."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pdc import paths, sources
from pdc.cloud import hosts
from pdc.cloud.connect import CloudError
from pdc.environment import load_environment

ANSIBLE_INVENTORY = Path(sys.executable).parent / "ansible-inventory"


@pytest.fixture(scope="module")
def env():
    return load_environment(paths.INVENTORIES / "lab")


@pytest.fixture(scope="module")
def planned(env):
    return hosts.planned_ports(env)


class _Fake:
    """An openstacksdk connection answering the given projects and ports."""

    def __init__(self, projects, ports):
        self.identity = self.network = self
        self._projects, self._ports = projects, ports

    def projects(self, **kw):
        return iter(self._projects)

    def ports(self, **kw):
        return iter(self._ports)


def _cloud_of(env, planned, change=None):
    """A cloud holding every planned host port; `change(host, port)` edits one of them."""
    projects = [{"id": f"p-{s.id}", "name": s.id, "tags": []} for s in env.systems]
    ports = [{"id": f"port-{h.name}", "name": h.name, "project_id": f"p-{h.system.id}", "device_owner": "",
              "fixed_ips": [{"subnet_id": "s", "ip_address": planned[h.name].address}]} for h in env.hosts]
    ports.append({"id": "dhcp", "name": "", "project_id": "p-tthc", "device_owner": "network:dhcp",
                  "fixed_ips": [{"subnet_id": "s", "ip_address": "10.0.0.2"}]})
    if change:
        change(ports)
    return _Fake(projects, ports)


def _first(env):
    return env.hosts[0]


def test_the_plan_names_one_port_per_host_on_its_planned_address(env, planned):
    assert set(planned) == {h.name for h in env.hosts}
    for h in env.hosts:
        assert (planned[h.name].port, planned[h.name].system, planned[h.name].address) == (
            h.name, h.system.id, str(h.address))


def test_every_port_as_planned_gives_every_address(env, planned):
    found = hosts.addresses(env, _cloud_of(env, planned), "c", plan=None)
    assert found == {h.name: str(h.address) for h in env.hosts}


def test_a_project_found_by_its_pdc_tag(env, planned):
    fake = _cloud_of(env, planned)
    for p in fake._projects:
        p["tags"], p["name"] = [f"pdc-system={p['name']}"], f"renamed-{p['name']}"
    assert hosts.addresses(env, fake, "c") == {h.name: str(h.address) for h in env.hosts}


def _edit(name, **values):
    def change(ports):
        port = next(p for p in ports if p["name"] == name)
        port.update(values)
    return change


def test_an_address_changed_by_hand_is_refused(env, planned):
    h = _first(env)
    other = str(h.address + 1)
    fake = _cloud_of(env, planned, _edit(h.name, fixed_ips=[{"ip_address": other}]))
    with pytest.raises(CloudError) as err:
        hosts.addresses(env, fake, "c")
    text = str(err.value)
    assert f"host {h.name}: port {h.name} in project {h.system.id} has address {other!r}" in text
    assert f"the plan says {h.address}" in text and "changed outside the plan" in text


def test_an_address_outside_the_zone_is_refused(env, planned):
    h = _first(env)
    other = next(x for x in env.hosts if x.zone != h.zone or x.system.id != h.system.id)
    subnet = env.zone_subnet(h.system, h.zone)
    for value in (str(other.address), "192.0.2.10", str(subnet.network_address), str(subnet.broadcast_address)):
        fake = _cloud_of(env, planned, _edit(h.name, fixed_ips=[{"ip_address": value}]))
        with pytest.raises(CloudError, match=rf"host {h.name}: port {h.name} .* has address '{value}', the plan says "
                                             rf"{h.address}: outside its planned {h.zone} subnet {subnet}"):
            hosts.addresses(env, fake, "c")


@pytest.mark.parametrize("value", ["{a} -oProxyCommand=touch /tmp/pwned", "{a}\nProxyCommand x", "::1",
                                   "host.example", "{a} "])
def test_an_address_that_is_not_plain_ipv4_is_refused(env, planned, value):
    h = _first(env)
    value = value.format(a=h.address)
    fake = _cloud_of(env, planned, _edit(h.name, fixed_ips=[{"ip_address": value}]))
    with pytest.raises(CloudError) as err:
        hosts.addresses(env, fake, "c")
    assert f"host {h.name}: port {h.name}" in str(err.value) and "not an IPv4 address" in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("fixed_ips", [168430090, "10.20.0.10", [{"ip_address": 168430090}], ["10.20.0.10"],
                                       [{"ip_address": ["10.20.0.10"]}]])
def test_a_wrong_typed_answer_is_refused(env, planned, fixed_ips):
    h = _first(env)
    fake = _cloud_of(env, planned, _edit(h.name, fixed_ips=fixed_ips))
    with pytest.raises(CloudError, match=rf"host {h.name}: port {h.name} .*unexpected.*the plan says {h.address}"):
        hosts.addresses(env, fake, "c")


@pytest.mark.parametrize("answers", [{"name": 5}, {"project_id": ["p"]}, "not a mapping"])
def test_a_wrong_typed_port_or_project_is_refused(env, planned, answers):
    def change(ports):
        if isinstance(answers, str):
            ports.append(answers)
        else:
            ports[0].update(answers)
    with pytest.raises(CloudError, match="answered something unexpected"):
        hosts.addresses(env, _cloud_of(env, planned, change), "c")
    fake = _cloud_of(env, planned)
    fake._projects.append({"id": 7, "name": "x"})
    with pytest.raises(CloudError, match="answered something unexpected"):
        hosts.addresses(env, fake, "c")


def test_two_or_no_fixed_ips_are_refused(env, planned):
    h = _first(env)
    for fixed in ([], [{"ip_address": str(h.address)}, {"ip_address": str(h.address + 1)}]):
        fake = _cloud_of(env, planned, _edit(h.name, fixed_ips=fixed))
        with pytest.raises(CloudError, match=rf"port {h.name} .* has {len(fixed)} fixed IPs.*the plan says one: "
                                             rf"{h.address}"):
            hosts.addresses(env, fake, "c")


def test_a_missing_port_is_refused(env, planned):
    h = _first(env)
    fake = _cloud_of(env, planned, lambda ports: ports.remove(next(p for p in ports if p["name"] == h.name)))
    with pytest.raises(CloudError, match=rf"host {h.name}: no port {h.name} in project {h.system.id} of cloud 'c' "
                                         rf"\(planned address {h.address}\)"):
        hosts.addresses(env, fake, "c")


def test_a_port_in_another_project_does_not_count(env, planned):
    h = _first(env)
    fake = _cloud_of(env, planned, _edit(h.name, project_id="p-elsewhere"))
    with pytest.raises(CloudError, match=rf"no port {h.name} in project {h.system.id}"):
        hosts.addresses(env, fake, "c")


def test_a_second_port_of_the_same_name_is_refused(env, planned):
    h = _first(env)
    def twice(ports):
        ports.append({**next(p for p in ports if p["name"] == h.name), "id": "copy"})
    with pytest.raises(CloudError, match=rf"2 ports named {h.name} in project {h.system.id}"):
        hosts.addresses(env, _cloud_of(env, planned, twice), "c")


def test_a_missing_project_is_refused(env, planned):
    h = _first(env)
    fake = _cloud_of(env, planned)
    fake._projects = [p for p in fake._projects if p["name"] != h.system.id]
    with pytest.raises(CloudError, match=rf"host {h.name}: cloud 'c' has no project for system {h.system.id}"):
        hosts.addresses(env, fake, "c")


def test_a_failing_call_is_one_line(env):
    class Broken(_Fake):
        def ports(self, **kw):
            raise RuntimeError("boom\nsecond line")
    with pytest.raises(CloudError, match="reading failed: RuntimeError: boom second line"):
        hosts.addresses(env, Broken([], []), "c")


def test_hosts_file_accepts_cloud_and_nothing_else_new(tmp_path):
    (tmp_path / sources.HOSTS_FILE).write_text("plugin: pdc_environment\nsource: cloud\n")
    assert sources.hosts(tmp_path) == "cloud"
    (tmp_path / sources.HOSTS_FILE).write_text("plugin: pdc_environment\nsource: clouds\n")
    with pytest.raises(sources.SourcesError):
        sources.hosts(tmp_path)


def test_the_inventory_plugin_refuses_an_unreachable_cloud_in_one_error(tmp_path, unreachable_clouds):
    """The real ansible-inventory on a `source: cloud` copy of lab whose clouds.yaml points nowhere."""
    root = tmp_path / "lab"
    shutil.copytree(paths.INVENTORIES / "lab", root)
    (root / "hosts.pdc.yml").write_text("plugin: pdc_environment\nsource: cloud\n")
    (root / "cloud.pdc.yml").write_text("source: clouds\ncloud: prod\n")
    clouds = unreachable_clouds
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    environ.update(PYTHONPATH=str(paths.ROOT), ANSIBLE_CONFIG=str(paths.ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                   OS_CLIENT_CONFIG_FILE=str(clouds))
    run = subprocess.run([str(ANSIBLE_INVENTORY), "-i", str(root), "--list"], cwd=paths.ROOT, env=environ,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    text = run.stderr.replace("\n", " ")
    assert "source: cloud: cloud 'prod': cannot authenticate" in text, run.stderr
    assert json.loads(run.stdout or "{}").get("_meta", {}).get("hostvars", {}) == {}
