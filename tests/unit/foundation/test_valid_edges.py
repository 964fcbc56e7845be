"""Valid edge cases (edge/: longest texts, diacritics, largest slots and bounds) validate, render
every site on its platform, and plan with every policy passing: what validates, renders and plans."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from pdc.environment import InvalidEnvironment, load_environment
from pdc.wan.credentials import Credentials
from pdc.wan.render import render

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pulumi_openstack's own aliases

EDGE = Path(__file__).parent / "edge"


@pytest.fixture(scope="module")
def edge():
    return load_environment(EDGE)


def test_edges_are_at_their_bounds(edge):
    # the environment really exercises the limits it claims to, so this test cannot pass vacuously
    assert max(len(s.name_vi) for s in edge.systems) > 150
    assert max(len(s.name) for s in edge.sites) > 150
    assert {s.slot for s in edge.sites if s.tier == "district"} >= {16}
    assert {s.slot for s in edge.sites if s.tier == "commune"} == {1, 32}
    assert max(s.uplink.ospf_area for s in edge.sites if s.uplink) == 2**32 - 1
    assert {s.platform for s in edge.sites} == {"cisco_ios", "huawei_vrp"}


def test_every_site_renders_on_its_platform(edge):
    creds = Credentials(username="netadmin", password="edge-case-password", secret="edge-case-enable",
                        snmp_auth="edge-case-snmp-auth", snmp_priv="edge-case-snmp-priv")
    configs = render(edge, creds)
    assert set(configs) == {s.id for s in edge.sites}
    for site in edge.sites:
        text = configs[site.id]
        assert site.id in text
        assert all(line.isprintable() and line.isascii() for line in text.splitlines()), site.id
    district = configs["nam-sach"]
    assert "area 4294967295" in district
    assert f"{edge.mgmt_ip(edge.site('nam-sach-32'))}" in district  # the slot-32 child is routed
    assert "255.255.255.255" in configs["kinh-mon"]  # VRP writes the area as a dotted quad


def test_plan_has_every_host_and_passes_every_policy(edge):
    from pdc.plan import plan

    result = plan(edge)
    assert result.violations == []
    instances = [r for r in result.resources if r.type == "openstack:compute/instance:Instance"]
    assert len(instances) == len(edge.hosts) == 69


def test_the_environment_sets_the_waiver_lifetime(tmp_path):
    # a waiver 1000 days ahead: inside edge's waivers.max_days (1095), beyond the default (365)
    copy = tmp_path / "edge"
    shutil.copytree(EDGE, copy)
    waivers = copy / "waivers.yml"
    ahead = dt.date.today() + dt.timedelta(days=1000)
    waivers.write_text(waivers.read_text(encoding="utf-8").replace("2029-06-30", str(ahead)), encoding="utf-8")
    assert load_environment(copy)
    settings = copy / "environment.yml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("waivers: {max_days: 1095}\n", ""),
                        encoding="utf-8")
    with pytest.raises(InvalidEnvironment) as caught:
        load_environment(copy)
    assert [(e.file.endswith("waivers.yml"), e.line, e.field) for e in caught.value.errors] == [
        (True, 7, "waivers[0].expires")]
    assert "more than 365 days ahead" in caught.value.errors[0].message


@pytest.mark.parametrize("entry, line, field, message", [
    ("waivers:\n  - {control: PDC-SSH-999, reason: a typo in the id, approver: A B, expires: 2026-12-31}\n",
     2, "waivers[0].control", "unknown control 'PDC-SSH-999'"),
    ("opt_in:\n  - {control: PDC-SSH-001, reason: not an opt-in control}\n",
     2, "opt_in[0].control", "is not an opt-in control of the catalog"),
    ("opt_in:\n  - {control: PDC-PKG-003, system: no-such-system, reason: a system that is not here}\n",
     2, "opt_in[0].system", "no system 'no-such-system'"),
])
def test_validate_checks_waivers_against_the_catalog_and_the_systems(tmp_path, entry, line, field, message):
    copy = tmp_path / "edge"
    shutil.copytree(EDGE, copy)
    (copy / "waivers.yml").write_text(entry, encoding="utf-8")
    with pytest.raises(InvalidEnvironment) as caught:
        load_environment(copy)
    assert [(e.line, e.field) for e in caught.value.errors] == [(line, field)]
    assert message in caught.value.errors[0].message


def test_a_larger_switch_model_gives_its_sites_the_slots_of_its_ports(tmp_path):
    """A site may name a larger model of its tier (sites.yml `model:`): a chassis at the DC and a
    stack at a district hold the slots their ports allow, and the render routes each child on the
    port its slot picks, on both platforms."""
    from pdc.wan import profiles

    copy = tmp_path / "edge"
    shutil.copytree(EDGE, copy)
    sites = copy / "sites.yml"
    text = sites.read_text(encoding="utf-8")
    text = text.replace('tier: dc, slot: 0}', 'tier: dc, slot: 0, model: C9410R-4X48}')
    text = text.replace("tier: district, parent: dc, slot: 16,", "tier: district, parent: dc, slot: 150, "
                        "model: C9300-48T-STACK2,")
    text = text.replace("parent: nam-sach, slot: 32,", "parent: nam-sach, slot: 96,")
    sites.write_text(text, encoding="utf-8")
    (copy / "environment.yml").write_text((copy / "environment.yml").read_text(encoding="utf-8").replace(
        "communes_per_district: 33", "communes_per_district: 98").replace(
        "wan_sites: 10.128.0.0/14", "wan_sites: 10.64.0.0/10"), encoding="utf-8")
    env = load_environment(copy)
    assert profiles.profile(env.site("dc")).downlinks[-1] == "GigabitEthernet4/0/48"
    configs = render(env, Credentials("netadmin", "edge-password-1", "edge-enable-1", "edge-snmp-1", "edge-snmp-2"),
                     [env.site("dc"), env.site("nam-sach")])
    assert "interface GigabitEthernet4/0/6\n" in configs["dc"]  # slot 150: the fourth card's sixth port
    assert "interface GigabitEthernet2/0/48\n" in configs["nam-sach"]  # slot 96
    sites.write_text(text.replace("slot: 96,", "slot: 97,"), encoding="utf-8")
    with pytest.raises(InvalidEnvironment, match="has no downlink port on 'nam-sach'"):
        load_environment(copy)
