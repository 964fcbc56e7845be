"""The flows view (pdc.flows): its queries, and the production bugs it closes: every WAN switch
sends syslog and asks for time where the collector and the NTP servers admit and listen."""

from __future__ import annotations

import shutil
from ipaddress import IPv4Network

import pytest
import yaml

from pdc import paths
from pdc.environment import load_environment
from pdc.flows import flows
from pdc.hostvars import served
from pdc.wan.render import flow_context


@pytest.fixture(scope="module", params=["lab", "haiduong"])
def env(request):
    return load_environment(request.param)


def _covers(networks: list[str], address) -> bool:
    return any(address in IPv4Network(n) for n in networks)


def test_every_switch_reaches_the_collector_and_ntp_it_is_configured_for(env):
    view = flows(env)
    for site in env.sites:
        mgmt, ctx = env.mgmt_ip(site), flow_context(env, site)
        assert ctx["syslog_servers"] and ctx["ntp_servers"], site.id
        for address in ctx["syslog_servers"]:
            server = next(s.host for s in view.servers("syslog") if s.address == address)
            listens = served(env, server)["syslog"]  # what the collector's rsyslog and nftables render from
            assert ctx["syslog_transport"] in listens["protocols"] and ctx["syslog_port"] in listens["ports"]
            assert _covers(listens["sources"], mgmt), (site.id, server.name)
        for address in ctx["ntp_servers"]:
            server = next(s.host for s in view.servers("ntp") if s.address == address)
            assert _covers(served(env, server)["ntp"]["sources"], mgmt), (site.id, server.name)  # chrony allow


def test_switch_acls_admit_exactly_the_services_clients(env):
    site = env.sites[-1]
    ctx = flow_context(env, site)
    assert ctx["vty_sources"] == flows(env).clients("ssh") == env.management_cidrs
    assert ctx["snmp_sources"] == flows(env).clients("snmp")


def test_a_switch_outside_a_services_clients_gets_no_line(tmp_path):
    copy = tmp_path / "lab"
    shutil.copytree(paths.INVENTORIES / "lab", copy)
    doc = yaml.safe_load((copy / "environment.yml").read_text())
    doc["services"]["ntp"]["reachable_from"] = ["tenants"]  # the WAN may no longer ask for time
    (copy / "environment.yml").write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    env = load_environment(copy)
    assert all(flow_context(env, site)["ntp_servers"] == [] for site in env.sites)
    assert all(flow_context(env, site)["syslog_servers"] for site in env.sites)


def test_database_flows_follow_the_tier_in_front():
    env = load_environment("haiduong")
    view = flows(env)
    for flow in view.of("postgresql"):
        system = flow.system
        front = "app" if "app" in system.zones else "dmz"
        zones = {s.zone for s in flow.sources}
        assert zones == {front, "db"} & set(system.zones), (system.id, zones)
        # the zone in front is a client: its security group gets the egress rule
        assert flow in view.zone_outbound(system, front)
        assert flow in view.zone_inbound(system, flow.zone)


def test_app_ports_are_served_to_the_own_dmz_only():
    env = load_environment("haiduong")
    for flow in flows(env).of("app"):
        assert [s.zone for s in flow.sources] == (["dmz"] if "dmz" in flow.system.zones else [])
        assert all(s.host.zone == "app" and s.host.system is flow.system for s in flow.servers)
