"""Platform drivers: each site's `platform` picks how pdc talks to, parses, diffs and saves it."""

from __future__ import annotations

import re

import pytest
from netmiko.exceptions import ConfigInvalidException

from pdc.wan import diff, platforms, render, send
from pdc.wan.connect import Target
from tests.unit.wan.fake_channel import VRP_ERROR, Channel, vrp_prompt


def _vrp_config(env, creds, site_id: str) -> str:
    return render.render(env, creds, [env.site(site_id)], platform="huawei_vrp")[site_id]


def _cisco_config(env, creds, site_id: str) -> str:
    return render.render(env, creds, [env.site(site_id)], platform="cisco_ios")[site_id]


def test_each_platform_has_its_own_driver():
    ios, vrp = platforms.driver("cisco_ios"), platforms.driver("huawei_vrp")
    assert (ios.device_type, vrp.device_type) == ("cisco_ios", "huawei")
    assert (ios.show_running, vrp.show_running) == ("show running-config", "display current-configuration")
    assert vrp.save_confirm and not ios.save_confirm
    with pytest.raises(platforms.UnknownPlatform, match="junos"):
        platforms.driver("junos")


def test_a_target_takes_its_driver_from_the_site(haiduong):
    site = haiduong.site("dc")
    assert Target(site, "192.0.2.1", 22).driver.name == site.platform


def test_vrp_remediation_removes_what_is_extra_and_adds_what_is_missing(haiduong, creds):
    intended = _vrp_config(haiduong, creds, "dc")
    lines = intended.splitlines()
    ntp = next(line for line in lines if line.startswith("ntp-service unicast-server"))
    # the device lost an NTP server, gained a foreign one, and has a port the template does not list
    running = "\n".join(line for line in lines if line not in (ntp, "return"))
    running += "\nntp-service unicast-server 192.0.2.99\ninterface GigabitEthernet0/0/48\n shutdown\n#\nreturn\n"
    change = diff.change(running, intended, "huawei_vrp")
    assert ntp in change.lines
    assert "undo ntp-service unicast-server 192.0.2.99" in change.lines
    # a physical port always exists: never `undo interface`, whatever the intended config says
    assert not any(line.startswith("undo interface GigabitEthernet") for line in change.lines)
    assert not any(line.startswith("no ") for line in change.lines)  # VRP negates with `undo`
    future = diff.future(running, change, "huawei_vrp")
    assert diff.change(future, intended, "huawei_vrp").empty  # one push converges


def test_vrp_intended_against_itself_needs_nothing(haiduong, creds):
    for site_id in ("dc", "nam-sach-01"):
        intended = _vrp_config(haiduong, creds, site_id)
        assert diff.change(intended, intended, "huawei_vrp").empty


def test_the_never_remove_filter_follows_the_platform():
    ios, vrp = platforms.driver("cisco_ios"), platforms.driver("huawei_vrp")
    assert ios.never_remove.match("no interface GigabitEthernet0/1")
    assert not ios.never_remove.match("undo interface GigabitEthernet0/0/1")
    assert vrp.never_remove.match("undo interface GigabitEthernet0/0/1")
    assert vrp.never_remove.match("undo interface Vlanif1") and vrp.never_remove.match("undo vlan 1")
    assert not vrp.never_remove.match("undo interface Vlanif10")


def test_saved_equals_running_ignores_each_platforms_own_comments(haiduong, creds):
    vrp = _vrp_config(haiduong, creds, "dc")
    saved = "!Software Version V200R019C10SPC500\n#\n" + vrp.replace("\n", "\n#\n", 3)
    assert diff.saved_equals_running(vrp, saved, "huawei_vrp")
    assert not diff.saved_equals_running(vrp, saved.replace("sysname dc", "sysname other"), "huawei_vrp")
    ios = _cisco_config(haiduong, creds, "dc")
    assert diff.saved_equals_running(ios, "Using 1234 out of 65536 bytes\n!\n" + ios)


def test_send_reads_vrp_prompts_and_names_the_refused_line():
    lines = ["vlan batch 10 20", "interface Vlanif10", "ip adress 10.0.0.1 24", "quit", "sysname dc"]
    channel = Channel(refuse="ip adress 10.0.0.1 24", error=VRP_ERROR, prompt=vrp_prompt)
    with pytest.raises(ConfigInvalidException, match=re.escape("at command: ip adress 10.0.0.1 24")):
        send.send_lines(channel, lines, read_timeout=1, platform=platforms.driver("huawei_vrp"))
    # with the IOS driver the same answers would be neither prompts nor errors: a VRP device needs its own
    assert not platforms.driver("cisco_ios").config_prompt.search("[~dc]")


class SaveSession:
    def __init__(self, answer: str):
        self.answer, self.calls = answer, []

    def save_config(self, **kwargs) -> str:
        self.calls.append(kwargs)
        return self.answer


def test_vrp_save_is_confirmed_and_its_acknowledgement_checked():
    vrp = platforms.driver("huawei_vrp")
    session = SaveSession("Are you sure to continue?[Y/N]:y\nInfo: Save the configuration successfully.")
    vrp.save(session)
    assert session.calls == [{"cmd": "save", "confirm": True, "confirm_response": "y"}]
    with pytest.raises(platforms.SaveNotConfirmed):
        vrp.save(SaveSession("Error: The system is busy."))
    with pytest.raises(platforms.SaveNotConfirmed):
        platforms.driver("cisco_ios").save(SaveSession("Building configuration...\n% NVRAM full"))
