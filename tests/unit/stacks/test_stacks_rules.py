"""The model-derived parts of a tenant without Pulumi: security-group rules and quotas."""

from __future__ import annotations

import inspect
import sys
import warnings
from ipaddress import IPv4Network

import pytest

from pdc import paths
from pdc.environment import load_environment

sys.path.insert(0, str(paths.ROOT / "stacks"))
with warnings.catch_warnings():  # pulumi_openstack warns about its own deprecated aliases on import
    warnings.simplefilter("ignore", DeprecationWarning)
    import pulumi_openstack as openstack
    from tenancy.quotas import planned_usage, quotas, with_headroom
    from tenancy.security_groups import ANYWHERE, base_rules, zone_rules

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def haiduong():
    return load_environment("haiduong")


def all_rules(env):
    for system in env.systems:
        for zone in system.zones:
            yield system, zone, zone_rules(env, system, zone)


def test_only_dmz_web_is_open_to_anywhere(haiduong):
    for system, zone, rules in all_rules(haiduong):
        for r in rules:
            if r.direction == "ingress" and r.remote_cidr == ANYWHERE:
                assert (zone, r.protocol, r.port) in {("dmz", "tcp", 443), ("dmz", "tcp", 80)}, (system.id, r)
    assert not [r for r in base_rules(haiduong) if r.direction == "ingress" and r.remote_cidr == ANYWHERE]


def test_ssh_only_from_management(haiduong):
    ssh_in = [r for r in base_rules(haiduong) if r.direction == "ingress" and r.port == 22]
    assert [r.remote_cidr for r in ssh_in] == [str(c) for c in haiduong.management_cidrs] == ["10.20.3.0/24"]
    for system, zone, rules in all_rules(haiduong):
        assert not [r for r in rules if r.direction == "ingress" and r.port == 22], (system.id, zone)


def test_app_only_from_dmz_and_db_only_from_app(haiduong):
    tthc = haiduong.system("tthc")
    app_in = [r for r in zone_rules(haiduong, tthc, "app") if r.direction == "ingress"]
    assert [(r.port, r.remote_zone, r.remote_cidr) for r in app_in] == [(8080, "dmz", None)]
    db_in = [r for r in zone_rules(haiduong, tthc, "db") if r.direction == "ingress"]
    assert [(r.port, r.remote_zone) for r in db_in] == [(5432, "app"), (5432, "db")]  # app, and replication
    # without an app zone, the web tier is what talks to the database
    portal = haiduong.system("cong-ttdt")
    assert {r.remote_zone for r in zone_rules(haiduong, portal, "db") if r.direction == "ingress"} == {"dmz", "db"}


def test_syslog_ntp_dns_out_to_the_shared_services(haiduong):
    out = {(r.protocol, r.port, r.remote_cidr) for r in base_rules(haiduong) if r.direction == "egress"}
    for host in haiduong.group_hosts("soc/collector"):
        assert {("udp", 514, f"{host.address}/32"), ("tcp", 514, f"{host.address}/32")} <= out
    for host in haiduong.group_hosts("infra/svc"):
        assert {("udp", 123, f"{host.address}/32"), ("udp", 53, f"{host.address}/32")} <= out


def test_collector_accepts_syslog_from_tenants_and_wan_devices(haiduong):
    rules = zone_rules(haiduong, haiduong.system("soc"), "app")
    sources = {r.remote_cidr for r in rules if r.direction == "ingress" and r.port == 514}
    assert sources == {str(haiduong.address_plan.tenants), str(haiduong.address_plan.wan_management)}


def test_lab_mirror_is_reached_at_its_address_only():
    lab = load_environment("lab")
    mirror = [r for r in base_rules(lab) if r.why.startswith("package mirror")]
    assert [(r.port, r.remote_cidr) for r in mirror] == [(3142, "10.99.0.1/32")]


def _quota_fields(args_class) -> set[str]:
    params = inspect.signature(args_class.__init__).parameters
    return {n for n in params if n not in ("self", "__self__", "project_id", "region", "volume_type_quota")}


def test_every_quota_field_is_sent_explicitly(haiduong):
    """No quota left for the provider to send as 0: every argument of the three resources is set."""
    values = quotas(haiduong, haiduong.system("tthc"))
    assert set(values["compute"]) == _quota_fields(openstack.compute.QuotaSetV2Args)
    assert set(values["network"]) == _quota_fields(openstack.networking.QuotaV2Args)
    assert set(values["volume"]) == _quota_fields(openstack.blockstorage.QuoteSetV3Args)


def test_quotas_are_usage_plus_headroom(haiduong):
    tthc = haiduong.system("tthc")  # 2 web m1.medium, 3 app m1.large, 2 db m1.xlarge; headroom 30%
    use = planned_usage(haiduong, tthc)
    assert (use.instances, use.cores, use.ram_mb) == (7, 2 * 2 + 3 * 4 + 2 * 8, 2 * 4096 + 3 * 8192 + 2 * 16384)
    assert (use.volumes, use.gigabytes) == (7 + 2, 2 * 20 + 3 * 40 + 2 * (40 + 1000))
    q = quotas(haiduong, tthc)
    assert q["compute"]["instances"] == with_headroom(7, 30) == 10
    assert q["compute"]["cores"] == 42  # ceil(32 * 1.3)
    assert q["volume"]["gigabytes"] == with_headroom(2240, 30)
    assert q["network"]["floatingip"] == haiduong.settings.quota_classes["large"].floating_ips
    assert q["network"]["router"] >= use.routers == 2


def test_zone_subnets_are_the_environment_ones(haiduong):
    for system in haiduong.systems:
        for cidr in haiduong.zone_subnets(system).values():
            assert IPv4Network(cidr).subnet_of(haiduong.address_plan.tenants)


@pytest.mark.parametrize("stack", ["haiduong", "lab"])
def test_stack_config_names_its_environment(stack):
    """Pulumi.<stack>.yaml names the environment the program reads; the project runs in ../.venv."""
    import yaml

    project = yaml.safe_load((paths.ROOT / "stacks" / "Pulumi.yaml").read_text())
    assert project["runtime"] == {"name": "python", "options": {"virtualenv": "../.venv"}}
    config = yaml.safe_load((paths.ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    assert load_environment(config["pdc:environment"]).name == stack
    pack = yaml.safe_load((paths.ROOT / "stacks" / "policy" / "PulumiPolicy.yaml").read_text())
    assert pack["runtime"]["name"] == "python"
