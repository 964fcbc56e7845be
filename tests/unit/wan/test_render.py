"""Templates: complete, deterministic, parseable configs with every value from the environment."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from ipaddress import IPv4Network

import pytest
import yaml

from pdc import paths
from pdc.environment import load_environment
from pdc.flows import flows
from pdc.wan import diff, render
from tests.unit.wan.hostile_files import plant

TEMPLATES = paths.NETWORK / "templates"


def test_haiduong_renders_248_parseable_configs_byte_identical_twice(haiduong, creds):
    first = render.render(haiduong, creds)
    second = render.render(haiduong, creds)
    assert len(first) == 248
    assert first == second  # byte-identical
    for site_id, text in first.items():
        config = diff.parse(text)
        assert config.get_child(equals=f"hostname {site_id}") is not None, site_id
        assert len(text.splitlines()) >= 40, site_id


def test_vrp_renders_and_parses_for_every_haiduong_site(haiduong, creds):
    configs = render.render(haiduong, creds, platform="huawei_vrp")
    assert len(configs) == 248
    for site_id, text in configs.items():
        config = diff.parse(text, "huawei_vrp")
        assert config.get_child(equals=f"sysname {site_id}") is not None
        assert config.get_child(equals="undo telnet server enable") is not None
        vty = config.get_child(startswith="user-interface vty")
        assert vty.get_child(equals="protocol inbound ssh") is not None


@pytest.mark.parametrize("site_id", ["dc", "tp-hai-duong", "tp-hai-duong-01"])
def test_each_tier_has_the_required_features(haiduong, creds, site_id):
    site = haiduong.site(site_id)
    text = render.render_site(haiduong, site, creds)
    config = diff.parse(text)
    lines = text.splitlines()
    assert "no shutdown" not in [line.strip() for line in lines]
    assert not any("snmp-server community" in line for line in lines)  # SNMPv3 only
    for required in ("aaa new-model", "ip ssh version 2", "lldp run", "spanning-tree mode rapid-pvst",
                     "no ip http server"):
        assert config.get_child(equals=required) is not None, required
    assert config.get_child(startswith=f"username {creds.username} privilege 15 secret 9 $9$") is not None
    vty = config.get_child(equals="line vty 0 4")
    assert vty.get_child(equals="transport input ssh") is not None  # no telnet
    assert vty.get_child(equals="access-class VTY-MGMT in") is not None
    acl = config.get_child(equals="ip access-list standard VTY-MGMT")
    for net in haiduong.management_cidrs:
        assert acl.get_child(endswith=f"permit {net.network_address} {net.hostmask}") is not None
    view = flows(haiduong)
    assert view.server_addresses("ntp", without_devices=True)
    for server in view.server_addresses("ntp", without_devices=True):
        assert config.get_child(equals=f"ntp server {server}") is not None
    for server in view.server_addresses("syslog", without_devices=True):
        assert config.get_child(startswith=f"logging host {server} transport udp ") is not None
    for net in haiduong.agency_nets(site):
        vlan = config.get_child(equals=f"vlan {net.agency.vlan}")
        assert vlan.get_child(equals=f"name {net.agency.name}") is not None
        svi = config.get_child(equals=f"interface Vlan{net.agency.vlan}")
        assert svi.get_child(equals=f"ip address {net.gateway} {net.subnet.netmask}") is not None
    assert any(line.startswith("banner motd") for line in lines)
    if site.tier == "commune":
        port = config.get_child(equals="interface FastEthernet0/1")
        assert port.get_child(equals="switchport port-security") is not None
        link = haiduong.uplink_subnet(site)
        assert config.get_child(
            equals=f"ip route 0.0.0.0 0.0.0.0 {link.network_address + 1}") is not None
    else:
        assert config.get_child(equals="router ospf 1") is not None


def test_templates_hold_no_address_or_vlan_literal():
    ip = re.compile(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b")
    vlan = re.compile(r"^\s*(?:vlan|interface Vlan(?:if)?)\s*\d", re.M)
    files = sorted(TEMPLATES.rglob("*.j2"))
    assert {f.parent.name for f in files} == {"cisco_ios", "huawei_vrp"}
    for path in files:
        text = path.read_text()
        assert not ip.search(text), f"{path}: address literal {ip.search(text).group(0)}"
        assert not vlan.search(text), f"{path}: VLAN literal"


def test_values_follow_the_environment(tmp_path, creds_env):
    """Change the model: the rendered config follows, the old values are gone."""
    from pdc.wan import credentials

    copy = tmp_path / "lab"
    shutil.copytree(paths.INVENTORIES / "lab", copy)
    data = yaml.safe_load((copy / "environment.yml").read_text())
    data["address_plan"]["wan_sites"] = "10.160.0.0/14"
    data["address_plan"]["wan_management"] = "10.240.0.0/16"
    data["vlan_plan"]["management"] = 98
    data["vlan_plan"]["agencies"][0]["vlan"] = 11
    data["shared_services"]["management"] = ["infra/mgmt", "10.98.0.0/30"]
    data["lab"]["gateway_network"] = "10.98.0.0/30"
    (copy / "environment.yml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    original = load_environment("lab")
    changed = load_environment(copy)
    site = changed.site("nam-sach-01")
    before = render.render_site(original, original.site("nam-sach-01"), credentials.load(original))
    after = render.render_site(changed, site, credentials.load(changed))
    assert "vlan 11" in after and "vlan 10\n" not in after
    assert "vlan 98" in after and "vlan 99" not in after
    assert str(changed.mgmt_ip(site)) in after and str(original.mgmt_ip(site)) not in after
    assert "permit 10.98.0.0 0.0.0.3" in after and "10.99.0.0" not in after
    for net in changed.agency_nets(site):
        assert IPv4Network(net.subnet).subnet_of(IPv4Network("10.160.0.0/14"))
        assert str(net.gateway) in after
    assert before != after


def test_limit_selects_sites_and_tiers(haiduong):
    assert [s.id for s in render.select(haiduong, "dc")] == ["dc"]
    assert len(render.select(haiduong, "district")) == 12
    assert len(render.select(haiduong, "commune,dc")) == 236
    with pytest.raises(render.RenderError, match="unknown site or tier"):
        render.select(haiduong, "nowhere")


HOSTILE = ["\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x00", "\t", "\x1b"]


@pytest.mark.parametrize("char", HOSTILE, ids=[repr(c) for c in HOSTILE])
def test_a_value_with_a_line_break_is_refused_naming_site_and_value(haiduong, creds, char):
    # the schema would refuse this name; the renderer must refuse it anyway (defence in depth)
    site = haiduong.site("tp-hai-duong-01")
    hostile = site.model_copy(update={"name": f"Xa Mot{char}username evil privilege 15 secret 0 Hidden123"})
    with pytest.raises(render.RenderError) as info:
        render.render_site(haiduong, hostile, creds)
    message = str(info.value)
    assert "site tp-hai-duong-01" in message and "username evil" in message
    assert char not in message  # escaped, so the error itself is one line


def test_an_agency_description_with_a_newline_is_refused_on_every_platform(haiduong, creds, monkeypatch):
    site = haiduong.site("dc")
    nets = haiduong.agency_nets(site)
    agency = nets[0].agency.model_copy(update={"description": "ok\nsnmp-server community evil RW"})
    hostile = [dataclasses.replace(nets[0], agency=agency), *nets[1:]]
    monkeypatch.setattr(haiduong, "agency_nets", lambda _site: hostile)
    for platform in ("cisco_ios", "huawei_vrp"):
        with pytest.raises(render.RenderError, match=r"site dc: .*snmp-server community evil"):
            render.render_site(haiduong, site, creds, platform)


def test_multi_line_macro_output_still_renders(haiduong, creds):
    text = render.render_site(haiduong, haiduong.site("dc"), creds)
    assert "interface FastEthernet0/1\n description access " in text  # a macro's lines, kept as lines


def test_each_device_has_its_own_type9_salt_and_a_stable_hash(haiduong, creds):
    configs = render.render(haiduong, creds, render.select(haiduong, "district"))
    salts = {re.search(r"^enable secret 9 \$9\$([^$]+)\$", text, re.M).group(1) for text in configs.values()}
    users = {re.search(r"^username \S+ privilege 15 secret 9 (\S+)$", text, re.M).group(1)
             for text in configs.values()}
    assert len(salts) == len(configs) == len(users) == 12
    assert render.render(haiduong, creds, render.select(haiduong, "district")) == configs


@pytest.mark.parametrize("planted", ["dev-zero", "huge", "not-json", "forged"])
def test_a_planted_type9_cache_is_ignored_not_trusted(tmp_path, monkeypatch, planted):
    """The cache is a speed-up only: a link to /dev/zero, a huge or broken file, or a hash planted
    for a device gives the real hash, computed afresh."""
    from pdc.wan import type9

    monkeypatch.setattr(paths, "STATE", tmp_path)
    cache = type9.Cache("hostile")
    cache.path.parent.mkdir(parents=True)
    salt = type9.salt("hostile", "dc")
    if planted in ("dev-zero", "huge"):
        plant(cache.path, planted, type9.CACHE_MAX_BYTES)
    elif planted == "not-json":
        cache.path.write_text("{" * 100_000)
    else:
        key = cache._key("secret-1")
        tag = type9.hmac.new(key, b"salt:" + salt.encode(), "sha256").hexdigest()
        cache.path.write_text(json.dumps({tag: [f"$9${salt}$planted", "0" * 64]}))
    assert cache.get("secret-1", salt) == type9.compute("secret-1", salt)
