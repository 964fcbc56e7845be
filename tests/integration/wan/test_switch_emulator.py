"""The emulated IOS switch as Netmiko sees it: a full config round-trips, is saved, and faults bite."""

from __future__ import annotations

import time

import pytest
from netmiko import ConnectHandler
from netmiko.exceptions import (
    ConfigInvalidException,
    NetmikoAuthenticationException,
    NetmikoTimeoutException,
    ReadTimeout,
)

from pdc.wan import diff, platforms, render, send
from pdc.wan.credentials import Credentials

pytestmark = pytest.mark.lab
ERROR = platforms.driver("cisco_ios").error_pattern


def _connect(creds: dict, site: str):
    device = creds["devices"][site]
    conn = ConnectHandler(device_type="cisco_ios", host=device["host"], port=device["port"],
                          username=creds["username"], password=creds["password"], secret=creds["secret"],
                          conn_timeout=5, auth_timeout=5, banner_timeout=5)
    conn.enable()
    return conn


def _creds(data: dict) -> Credentials:
    return Credentials(**{k: data[k] for k in ("username", "password", "secret", "snmp_auth", "snmp_priv")})


def test_full_config_round_trips_and_is_saved(fresh_wan, lab_env):
    site = lab_env.site("tp-hai-duong")
    intended = render.render_site(lab_env, site, _creds(fresh_wan))
    body, banner = render.split_banner(intended)
    conn = _connect(fresh_wan, site.id)
    conn.send_config_set([line for line in body.splitlines() if line != "!"], error_pattern=ERROR)
    send.send_banner(conn, banner, 10)  # banner text lines as one block (see pdc.wan.send)
    running = conn.send_command("show running-config")
    assert diff.change(running, intended).empty  # every line stored and shown again
    assert not diff.saved_equals_running(running, conn.send_command("show startup-config"))  # day 0 saved
    assert "[OK]" in conn.save_config()
    conn.disconnect()
    again = _connect(fresh_wan, site.id)
    startup = again.send_command("show startup-config")
    assert diff.change(startup, intended).empty
    assert diff.change(again.send_command("show running-config"), startup).empty
    vlans = again.send_command("show vlan brief", use_textfsm=True)
    assert {v["vlan_id"] for v in vlans} >= {str(n.agency.vlan) for n in lab_env.agency_nets(site)}
    brief = again.send_command("show ip interface brief", use_textfsm=True)
    assert any(i["interface"] == "Loopback0" and i["ip_address"] == str(lab_env.mgmt_ip(site)) for i in brief)
    again.disconnect()


def test_reapplying_is_idempotent_and_malformed_lines_are_refused(fresh_wan):
    conn = _connect(fresh_wan, "dc")
    lines = ["interface Vlan10", " ip address 10.128.0.1 255.255.255.224", "exit",
             "ip route 10.9.0.0 255.255.0.0 10.251.0.2"]
    conn.send_config_set(lines, error_pattern=ERROR)
    conn.send_config_set(lines, error_pattern=ERROR)  # same ip address and route again: no error
    running = conn.send_command("show running-config")
    assert running.count("ip route 10.9.0.0 255.255.0.0 10.251.0.2") == 1
    assert running.count(" ip address 10.128.0.1 255.255.255.224") == 1
    for bad, message in (("hostnme dc", "% Invalid"), ("ntp server", "% Incomplete"),
                         ("ip route 10.9.0.0 255.255.0.300 10.251.0.2", "% Invalid"),
                         ("vlan 5000", "% Invalid")):
        with pytest.raises(ConfigInvalidException, match=message):
            conn.send_config_set([bad], error_pattern=ERROR)
        conn.exit_config_mode()
    conn.disconnect()


def _set(lab_env, site, **fault):
    from pdc.lab import switches

    switches.set_fault(lab_env, site, fault or None)


def test_each_fault_is_seen_by_netmiko(fresh_wan, lab_env):
    _set(lab_env, "nam-sach-01", refuse=True)
    with pytest.raises(NetmikoTimeoutException):
        _connect(fresh_wan, "nam-sach-01")

    _set(lab_env, "nam-sach-02", reject_login=True)
    with pytest.raises(NetmikoAuthenticationException):
        _connect(fresh_wan, "nam-sach-02")

    _set(lab_env, "nam-sach-03", reject_command="ntp source Loopback0")
    conn = _connect(fresh_wan, "nam-sach-03")
    with pytest.raises(ConfigInvalidException, match="ntp source Loopback0"):
        conn.send_config_set(["ntp server 10.20.3.11", "ntp source Loopback0"], error_pattern=ERROR)
    conn.disconnect()

    _set(lab_env, "nam-sach-04", drop_after=2)
    conn = _connect(fresh_wan, "nam-sach-04")
    started = time.monotonic()
    with pytest.raises((ReadTimeout, OSError, EOFError)):
        conn.send_config_set(["ntp server 10.20.3.11", "ntp server 10.20.3.12", "ntp server 10.20.3.13"],
                             error_pattern=ERROR, read_timeout=5)
    assert time.monotonic() - started < 10
    conn = _connect(fresh_wan, "nam-sach-04")  # the drop is one-shot: the next session works
    running = conn.send_command("show running-config")
    assert "ntp server 10.20.3.12" in running and "ntp server 10.20.3.13" not in running
    conn.disconnect()

    for site in ("nam-sach-01", "nam-sach-02"):
        _set(lab_env, site)
        _connect(fresh_wan, site).disconnect()  # cleared: reachable again
