"""The emulated device's management plane without a network: VTY ACL verdicts, logging hosts, NTP
answers, and where the lab puts the WAN (names, routes)."""

from __future__ import annotations

import struct
import time
from ipaddress import IPv4Network

import pytest

from pdc.lab import switches
from pdc.lab.state import LabState
from pdc.lab.switchsim.device import Device
from pdc.lab.switchsim.mgmt import NTP_EPOCH
from pdc.lab.switchsim.store import Section
from tests.unit.wan.test_switchsim_store import apply

ADDRESS = "10.250.0.1"


@pytest.fixture(scope="module")
def lab_model():
    from pdc.environment import load_environment

    return load_environment("lab")


@pytest.fixture
def device() -> Device:
    return Device("dc", "dc", ["GigabitEthernet0/1"], "secret", ADDRESS)


def _vty(device: Device, *children: str) -> None:
    vty = device.config.root.child("line vty 0 4")
    vty.children += [Section(c) for c in children]


def test_the_vty_access_class_decides_by_source_address(device):
    assert device.plane.vty_permits("192.0.2.9") == (True, "no access-class")
    _vty(device, "access-class VTY-MGMT in")
    assert device.plane.vty_permits("192.0.2.9")[0], "IOS: an access-class naming a missing ACL permits all"
    apply(device.config, ["ip access-list standard VTY-MGMT", "10 permit 10.99.0.0 0.0.0.3", "20 deny any log"])
    assert device.plane.vty_permits("10.99.0.1") == (True, "access-class VTY-MGMT: permit 10.99.0.0 0.0.0.3")
    assert device.plane.vty_permits("10.20.4.10") == (False, "access-class VTY-MGMT: deny any log")


def test_logging_hosts_keep_their_transport_and_port(device):
    apply(device.config, ["logging host 10.20.4.10 transport udp port 514",
                          "logging host 10.20.4.11 transport tcp port 6514", "logging host 10.20.4.12"])
    assert device.plane.logging_hosts() == [("10.20.4.10", "udp", 514), ("10.20.4.11", "tcp", 6514),
                                            ("10.20.4.12", "udp", 514)]


def _reply(origin: bytes, stratum: int = 2) -> bytes:
    now = time.time()
    stamp = struct.pack("!II", int(now) + NTP_EPOCH, 0)
    return bytes([0x24, stratum, 6, 0xEC]) + bytes(8) + bytes([10, 20, 0, 11]) + stamp + origin + stamp + stamp


def test_an_ntp_answer_to_our_own_query_becomes_the_sys_peer(device, monkeypatch):
    apply(device.config, ["ntp server 10.20.0.11"])
    sent = []
    monkeypatch.setattr(device.plane, "_socket", lambda: type("S", (), {"write": lambda s, p, a: sent.append(p)})())
    device.plane.ntp_poll()
    assert len(sent) == 1 and sent[0][0] == 0x23 and len(sent[0]) == 48  # SNTP v4 client packet
    device.plane.ntp_answer("10.20.0.11", _reply(b"\0" * 8))  # not an answer to our query
    assert not device.plane.synced()
    device.plane.ntp_answer("10.20.0.11", _reply(sent[0][40:48], stratum=16))  # unsynchronised server
    assert not device.plane.synced()
    device.plane.ntp_poll()
    device.plane.ntp_answer("10.20.0.11", _reply(sent[-1][40:48]))
    assert device.plane.synced()
    shown = "\n".join(device.plane.show_ntp_associations())
    assert "*~10.20.0.11" in shown and "10.20.0.11" in shown.split("*~", 1)[1].split()[0]


def test_the_wan_netns_is_per_state_folder_and_never_a_host_name(lab_model, monkeypatch, tmp_path):
    from pdc import paths

    first = LabState(lab_model.name).wan_ns
    monkeypatch.setattr(paths, "STATE", tmp_path)
    second = LabState(lab_model.name).wan_ns
    assert first != second, "another PDC_STATE's lab of the same environment gets another netns"
    assert second.startswith(LabState(lab_model.name).ns_prefix) and "." in second
    assert not any(second == LabState(lab_model.name).host_ns(h.name) for h in lab_model.hosts)


def test_the_lab_routes_the_management_network_and_overrides_outside_it(lab_model):
    assert switches.routed(lab_model) == [lab_model.address_plan.wan_management]
    assert all(switches.address_of(lab_model, s) in IPv4Network(lab_model.address_plan.wan_management)
               for s in lab_model.sites)
