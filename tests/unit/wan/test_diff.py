"""hier_config remediation as the engine uses it: filtered, banner apart, sections closed."""

from __future__ import annotations

from pdc.lab.switchsim.store import SwitchConfig
from pdc.wan import diff, profiles, render


def _day0(site) -> str:
    return SwitchConfig(site.id, list(profiles.profile(site).ports)).render()


def test_remediation_from_day0_never_removes_vlan1_or_physical_ports(haiduong, creds):
    for site_id in ("dc", "tp-hai-duong", "tp-hai-duong-01"):
        site = haiduong.site(site_id)
        intended = render.render_site(haiduong, site, creds)
        change = diff.change(_day0(site), intended)
        assert not change.empty
        assert "no vlan 1" not in change.lines
        assert not [line for line in change.lines if line.startswith("no interface")]
        assert change.banner[0] == "banner motd ^C" and change.banner[-1] == "^C"
        assert not any(line.startswith("banner") for line in change.lines)


def test_unused_interface_and_vlan1_removals_are_filtered():
    running = "vlan 1\ninterface FastEthernet0/9\n description old\ninterface Vlan1\n shutdown\nntp server 10.0.0.1\n"
    change = diff.change(running, "ntp server 10.0.0.2\n")
    assert change.lines == ["no ntp server 10.0.0.1", "ntp server 10.0.0.2"] or \
        sorted(change.lines) == ["no ntp server 10.0.0.1", "ntp server 10.0.0.2"]


def test_sections_are_closed_with_exit():
    change = diff.change("hostname a\n", "hostname a\ninterface Vlan10\n description x\nntp server 10.0.0.1\n")
    assert change.lines[change.lines.index("interface Vlan10") + 2] == "exit"


def test_identical_configs_need_nothing(haiduong, creds):
    intended = render.render_site(haiduong, haiduong.site("dc"), creds)
    assert diff.change(intended, intended).empty


def test_saved_equals_running_ignores_headers_and_comments_only():
    running = "Building configuration...\n\nCurrent configuration : 99 bytes\n!\n! Last change\nhostname a\n!\nend\n"
    startup = "Using 99 out of 262144 bytes\n!\n! NVRAM config last updated\nhostname a\n!\nend\n"
    assert diff.saved_equals_running(running, startup)
    assert not diff.saved_equals_running(running.replace("hostname a", "hostname b"), startup)
    assert not diff.saved_equals_running(running, startup.replace("hostname a\n", "hostname a\nno cdp run\n"))


def test_unsaved_lines_outside_the_planned_change():
    startup = "hostname a\nntp server 10.0.0.1\n"
    intended = "hostname a\nntp server 10.0.0.2\n"
    interrupted = "hostname a\nntp server 10.0.0.2\n"  # pdc's own change, not yet saved
    assert diff.unsaved_outside(interrupted, startup, diff.parse(intended)) == []
    foreign = "hostname a\nntp server 10.0.0.1\nlogging host 192.0.2.9\n"
    assert diff.unsaved_outside(foreign, startup, diff.parse(intended)) == ["logging host 192.0.2.9"]


def test_future_is_running_with_the_change_applied():
    running = "hostname a\nntp server 10.0.0.1\ninterface Vlan10\n description old\n"
    intended = "hostname a\nntp server 10.0.0.2\ninterface Vlan10\n description new\n"
    future = diff.future(running, diff.change(running, intended))
    assert diff.change(future, intended).empty and diff.change(intended, future).empty
