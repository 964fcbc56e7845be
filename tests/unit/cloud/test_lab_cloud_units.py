"""The lab cloud's pieces that need no service: where it listens, what it publishes, its options."""

from __future__ import annotations

import ipaddress

import yaml
from click.testing import CliRunner

from pdc.cli import main
from pdc.lab.cloud import services


def test_the_lab_cloud_listens_on_loopback_only():
    assert ipaddress.ip_address(services.ADDRESS).is_loopback
    for service in services.PORTS:
        assert services.url(service).startswith(f"http://{services.ADDRESS}:")


def test_clouds_yaml_names_the_admin_and_a_project_scoped_user():
    creds = {"admin": "a" * 24, "deployer": "d" * 24, "neutron": "n" * 24}
    clouds = yaml.safe_load(services.clouds_yaml(creds))["clouds"]
    assert set(clouds) == {services.ADMIN_CLOUD, services.DEPLOYER_CLOUD}
    assert clouds["admin"]["auth"]["project_name"] == "admin"
    assert clouds["deployer"]["auth"]["project_name"] == services.DEPLOY_PROJECT
    assert all(c["auth"]["auth_url"] == services.auth_url() for c in clouds.values())
    assert "n" * 24 not in services.clouds_yaml(creds)  # the service user's password stays in the cloud


def test_the_venv_is_keyed_by_its_pins_and_pinned_exactly():
    lines = [line for line in services.REQUIREMENTS.read_text().splitlines() if line and not line.startswith("#")]
    assert all("==" in line for line in lines)
    names = {line.split("==")[0].lower() for line in lines}
    assert {"keystone", "neutron", "gunicorn"} <= names
    assert services.digest() in services.venv_dir().name


def test_wan_only_and_cloud_only_exclude_each_other():
    result = CliRunner().invoke(main, ["lab", "up", "lab", "--wan-only", "--cloud-only"])
    assert result.exit_code == 2 and "exclude each other" in result.output


# ------------------------------------------------------------------ provisioning (a fake cloud)


class _Obj(dict):
    __getattr__ = dict.get


class _FakeCloud:
    """Just enough of openstacksdk's identity and network proxies to provision a plan; records every create."""

    def __init__(self):
        import itertools
        import threading

        self.identity = self.network = self
        self.ids = itertools.count()
        self.lock = threading.Lock()
        self.made: list[tuple[str, str]] = []
        self.objects: dict[str, list[_Obj]] = {}
        self.tag_calls = 0

    def _make(self, kind, **attrs):
        with self.lock:
            name = attrs.get("name")  # ids by name where there is one: both runs give the same ids
            obj = _Obj(id=f"{kind}:{name}" if name else f"{kind}#{next(self.ids)}", **attrs)
            self.objects.setdefault(kind, []).append(obj)
            self.made.append((kind, str(attrs.get("name", attrs.get("port_id", "")))))
        return obj

    def _list(self, kind, **match):
        return [o for o in self.objects.get(kind, []) if all(o.get(k) == v for k, v in match.items())]

    def _find(self, kind, name, **_):
        return next(iter(self._list(kind, name=name)), None)

    def find_network(self, name, ignore_missing=True):
        return self._find("network", name)

    def find_role(self, name, **kw):
        return _Obj(id=f"role-{name}")

    def find_group(self, name, **kw):
        return self._find("group", name)

    def create_group(self, **kw):
        return self._make("group", **kw)

    def find_user(self, name, **kw):
        return _Obj(id=f"user-{name}")

    def find_project(self, name, **kw):
        return self._find("project", name)

    def create_project(self, **kw):
        return self._make("project", **kw)

    def assign_project_role_to_group(self, *args):
        self._make("assignment", name=str(args))

    assign_project_role_to_user = assign_project_role_to_group

    def update_quota(self, project, **kw):
        self._make("quota", name=project)

    def create_network(self, **kw):
        return self._make("network", **kw)

    def networks(self, **kw):
        return iter(self._list("network", **kw))

    def subnets(self, **kw):
        return iter(self._list("subnet", **kw))

    def create_subnet(self, **kw):
        return self._make("subnet", **kw)

    def security_groups(self, **kw):
        return iter(self._list("secgroup", **kw))

    def routers(self, **kw):
        return iter(self._list("router", **kw))

    def create_security_group(self, **kw):
        group = self._make("secgroup", **kw)
        group["security_group_rules"] = [{"id": f"default-{group.id}-{v}", "direction": "egress", "ethertype": v}
                                         for v in ("IPv4", "IPv6")]
        return group

    def delete_security_group_rule(self, rule):
        self._make("deleted rule", name=str(rule))

    def create_security_group_rule(self, **kw):
        return self._make("rule", **kw)

    def create_router(self, **kw):
        return self._make("router", **kw, routes=[])

    def create_port(self, **kw):
        return self._make("port", **kw)

    def ports(self, **kw):
        return iter(self._list("port", **kw))

    def add_interface_to_router(self, router, subnet=None, port=None):
        self._make("interface", name=f"{router}/{subnet or port}")

    def get_router(self, rid):
        return next(o for o in self.objects["router"] if o.id == rid)

    def update_router(self, rid, routes):
        self.get_router(rid)["routes"] = routes

    def get_subnet(self, sid):
        return next(o for o in self.objects["subnet"] if o.id == sid)

    def update_subnet(self, sid, host_routes):
        self.get_subnet(sid)["host_routes"] = host_routes

    def ips(self, **kw):
        return iter(self._list("fip", **kw))

    def create_ip(self, **kw):
        return self._make("fip", **kw)

    def set_tags(self, obj, tags):
        self.tag_calls += 1


def test_tenants_in_parallel_create_what_one_after_another_creates():
    from pdc import paths
    from pdc.environment import load_environment
    from pdc.lab.cloud import provision
    from pdc.plan import run_program

    env = load_environment(paths.INVENTORIES / "lab")
    plan = run_program(env)
    one, many = _FakeCloud(), _FakeCloud()
    first = provision.provision(one, env, plan.resources, workers=1)
    second = provision.provision(many, env, plan.resources, workers=3)
    assert (first["tenants_in_parallel"], second["tenants_in_parallel"]) == (1, 3)
    assert first["created"] == second["created"] and sum(first["created"].values()) >= 100
    assert sorted(one.made) == sorted(many.made)
    assert one.tag_calls == many.tag_calls > 0
    by_kind = {k: len(v) for k, v in many.objects.items()}
    assert by_kind["group"] == len({s.admin_group for s in env.systems})  # a shared lookup made once
    deleted = many.objects.get("deleted rule", [])
    assert len(deleted) == 2 * sum(1 for r in plan.resources if r.type.endswith("SecGroup")
                                   and r.inputs.get("deleteDefaultRules"))


def test_a_tenant_naming_another_tenants_resource_is_provisioned_in_one_order():
    from pdc.lab.cloud.provision import Provisioner
    from pdc.pulumi_mocks import Captured

    a = Captured("urn:a", "t", "a", True, {"name": "x"}, "id-a", None, None)
    b = Captured("urn:b", "t", "b", True, {"networkId": "id-a"}, "id-b", None, None)
    assert Provisioner._independent({"t1": {"t": [a]}, "t2": {"t": [Captured("urn:c", "t", "c", True, {}, "id-c",
                                                                          None, None)]}})
    assert not Provisioner._independent({"t1": {"t": [a]}, "t2": {"t": [b]}})
