"""The WAN audit (pdc.audit.wan): rendered configs pass, a config changed by hand fails the right control.

The intended state comes from the model (flows, catalog values); these tests never copy the
template's output as the expectation.
"""

import dataclasses
import re

import pytest

from pdc import paths
from pdc.applicability import no_decisions, verdicts, wan_target
from pdc.audit import wan
from pdc.controls import load_catalog
from pdc.wan import credentials, render

CATALOG = load_catalog()
NET = [c.id for c in CATALOG.controls if c.target == "wan"]


@pytest.fixture(scope="module")
def lab_configs(lab):
    import os

    from tests.unit.wan.conftest import SECRETS

    saved = {k: os.environ.get(k) for k in SECRETS}
    os.environ.update(SECRETS)
    try:
        return render.render(lab, credentials.load(lab))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def judge(lab, site_id, text, decisions=None):
    site = lab.site(site_id)
    return {r.control: r for r in wan.audit_device(lab, site, text, CATALOG, decisions or no_decisions())}


def test_every_wan_control_has_a_check():
    assert NET and set(NET) == set(wan.CHECKS)


def test_every_lab_switch_passes_every_applicable_control(lab, lab_configs):
    for site in lab.sites:
        results = judge(lab, site.id, lab_configs[site.id])
        assert set(results) == set(NET), site.id
        failed = {cid: r.problems for cid, r in results.items() if not r.passed}
        assert not failed, (site.id, failed)
        assert all(r.observed for r in results.values()), site.id


def _drop_banner(text):
    return re.sub(r"banner motd \^C.*?\^C\n", "", text, flags=re.S)


def _widen_vty_acl(text):
    return text.replace("ip access-list standard VTY-MGMT\n", "ip access-list standard VTY-MGMT\n permit any\n", 1)


MUTATIONS = {
    "ssh v1": ("PDC-NET-001", lambda t: t.replace("ip ssh version 2", "ip ssh version 1")),
    "telnet on vty": ("PDC-NET-001", lambda t: t.replace(" transport input ssh", " transport input telnet ssh")),
    "no aaa": ("PDC-NET-002", lambda t: t.replace("aaa new-model\n", "")),
    "plain user password": ("PDC-NET-002", lambda t: re.sub(r"(username \S+ privilege 15) secret 9 \S+",
                                                           r"\1 password 7 0822455D0A16", t)),
    "snmp community": ("PDC-NET-003", lambda t: t + "snmp-server community public RO\n"),
    "snmp v2c group": ("PDC-NET-003", lambda t: t.replace("v3 priv access SNMP-MGMT", "v2c access SNMP-MGMT")),
    "no banner": ("PDC-NET-004", _drop_banner),
    "vty permit any": ("PDC-NET-005", _widen_vty_acl),
    "no vty timeout": ("PDC-NET-005", lambda t: t.replace(" access-class VTY-MGMT in\n exec-timeout 10 0",
                                                         " access-class VTY-MGMT in\n exec-timeout 0 0")),
    "syslog elsewhere": ("PDC-NET-006", lambda t: re.sub(r"logging host \S+", "logging host 192.0.2.9", t)),
    "rogue ntp": ("PDC-NET-007", lambda t: t + "ntp server 192.0.2.1\n"),
    "http on": ("PDC-NET-008", lambda t: t.replace("no ip http server\n", "ip http server\n")),
    "cdp on": ("PDC-NET-008", lambda t: t.replace("no cdp run\n", "cdp run\n")),
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_a_line_changed_by_hand_fails_exactly_its_control(lab, lab_configs, name):
    control, mutate = MUTATIONS[name]
    site = lab.sites[-1]
    text = lab_configs[site.id]
    changed = mutate(text)
    assert changed != text, f"mutation {name} did not apply"
    results = judge(lab, site.id, changed)
    failed = {cid for cid, r in results.items() if not r.passed}
    assert failed == {control}, (name, {cid: results[cid].problems for cid in failed})
    assert results[control].problems


def test_expected_values_come_from_the_catalog(lab, lab_configs):
    site = lab.sites[0]
    want = wan.intended(lab, site, CATALOG)
    stricter = dict(want.values)
    stricter["PDC-NET-001"] = {**stricter["PDC-NET-001"], "ssh_timeout": 30}
    results = wan.audit_config(site.id, lab_configs[site.id], dataclasses.replace(want, values=stricter),
                               ["PDC-NET-001"])
    assert not results[0].passed
    assert "missing: ip ssh time-out 30" in results[0].problems


def test_expected_sources_come_from_the_flows(lab, lab_configs):
    from ipaddress import IPv4Network

    site = lab.sites[0]
    want = wan.intended(lab, site, CATALOG)
    assert want.vty_sources and want.ntp_servers and want.syslog_servers
    narrower = dataclasses.replace(want, vty_sources=want.vty_sources[:-1] or (IPv4Network("192.0.2.0/24"),))
    (result,) = wan.audit_config(site.id, lab_configs[site.id], narrower, ["PDC-NET-005"])
    assert not result.passed and "VTY-MGMT" in result.problems[0]


def test_secrets_never_appear_in_observed_lines(lab, lab_configs):
    site = lab.sites[0]
    text = lab_configs[site.id]
    hashes = re.findall(r"secret 9 (\S+)", text)
    assert hashes
    for r in judge(lab, site.id, text).values():
        for line in r.observed:
            assert not any(h in line for h in hashes), line
            assert "unit-test-snmp" not in line


def _documented(kind_heading: str) -> dict[tuple[int, str], list[str]]:
    """The per-level table of docs/controls.md for one kind: {(level, platform): [ids]}."""
    text = (paths.DOCS / "controls.md").read_text(encoding="utf-8")
    section = text.split(f"## {kind_heading}: controls by level", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d) \| (\w+) \| (.+) \|$", section, flags=re.M)
    return {(int(level), platform): [] if ids == "-" else ids.split(", ") for level, platform, ids in rows}


def test_a_lab_switch_applies_the_documented_wan_controls(lab):
    documented = _documented("WAN switches")
    for site in lab.sites:
        target = wan_target(lab, site)
        active = [cid for cid, v in verdicts(target, CATALOG, no_decisions()).items() if v.status == "active"]
        assert active == documented[(target.level, site.platform)], site.id
        assert set(active) == set(NET), site.id


@pytest.mark.parametrize("control_id", NET)
def test_every_wan_control_names_its_template_lines(control_id):
    # each PDC-NET control is enforced by template lines marked {# PDC-NET-NNN #} for each platform it names
    for platform in CATALOG.by_id[control_id].platforms:
        marked = []
        for path in sorted((paths.NETWORK / "templates" / platform).glob("*.j2")):
            lines = path.read_text().splitlines()
            marked += [lines[i + 1] for i, line in enumerate(lines[:-1]) if line.strip() == f"{{# {control_id} #}}"]
        assert marked, f"{control_id}: no line marked {{# {control_id} #}} in network/templates/{platform}"
        assert all(line.strip() and not line.strip().startswith("{#") for line in marked), marked


def test_a_switch_that_cannot_be_read_is_an_error_on_every_applicable_control(lab):
    from pdc.audit.model import Status

    site = lab.sites[0]
    items = wan.unreachable_items(lab, site, CATALOG, no_decisions(), "cannot read the running config: unreachable")
    assert [i.control for i in items] == NET
    assert {i.status for i in items} == {Status.ERROR}


def test_a_waived_failure_is_reported_waived(lab, lab_configs, tmp_path):
    from pdc.applicability import decisions_of
    from pdc.audit.model import Status

    site = lab.sites[-1]
    waivers = tmp_path / "waivers.yml"
    waivers.write_text(f"waivers:\n  - {{control: PDC-NET-008, hosts: \"{site.id}\", reason: \"legacy NMS needs http\","
                       f" approver: \"CISO\", expires: 2099-01-01}}\n")
    decisions = decisions_of(waivers, CATALOG)
    changed = lab_configs[site.id].replace("no ip http server\n", "ip http server\n")
    items = {i.control: i for i in wan.device_items(lab, site, changed, CATALOG, decisions)}
    assert items["PDC-NET-008"].status == Status.WAIVED
    assert {i.status for cid, i in items.items() if cid != "PDC-NET-008"} == {Status.PASS}
