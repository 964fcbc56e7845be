"""Each anti-lockout rule on config texts: the change that cuts the controller is refused, naming the line."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from pdc.wan import diff, lockout

CONTROLLER = lockout.Controller(IPv4Address("10.99.0.1"), "pdcadmin", IPv4Address("10.250.0.1"))

GOOD = """hostname sw
aaa new-model
aaa authentication login default local
username pdcadmin privilege 15 secret 9 $9$abc
interface Loopback0
 ip address 10.250.0.1 255.255.255.255
interface GigabitEthernet1/0/1
 ip address 10.251.1.2 255.255.255.252
ip route 0.0.0.0 0.0.0.0 10.251.1.1
ip access-list standard VTY-MGMT
 permit 10.20.3.0 0.0.0.255
 permit 10.99.0.0 0.0.0.3
 deny any log
line vty 0 4
 access-class VTY-MGMT in
 login authentication default
 transport input ssh
"""


def _check(running: str, intended: str, platform: str = "cisco_ios", controller=CONTROLLER) -> str | None:
    change = diff.change(running, intended)
    future = diff.future(running, change)
    return lockout.check(platform, lockout.lines_of(diff.parse(running)), lockout.lines_of(future), change.lines,
                         controller)


def _edit(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


def test_a_change_that_keeps_the_path_passes():
    assert _check(GOOD, _edit(" permit 10.20.3.0 0.0.0.255\n", " permit 10.20.4.0 0.0.0.255\n")) is None
    assert _check(GOOD, GOOD + "ntp server 10.20.3.11\n") is None


def test_vty_acl_dropping_the_controller_is_refused_naming_the_line():
    reason = _check(GOOD, _edit(" permit 10.99.0.0 0.0.0.3\n", ""))
    assert "access-class VTY-MGMT in would refuse the controller 10.99.0.1 (deny any log)" in reason
    assert "offending line: 'ip access-list standard VTY-MGMT / no 20 permit 10.99.0.0 0.0.0.3'" in reason


def test_vty_acl_put_on_from_nothing_is_refused_when_it_does_not_admit_the_controller():
    running = _edit(" access-class VTY-MGMT in\n", "")
    reason = _check(running, _edit(" permit 10.99.0.0 0.0.0.3\n", ""))
    assert "would refuse the controller" in reason and "implicit" not in reason


def test_access_class_naming_a_missing_acl_permits_as_ios_does():
    assert _check(GOOD, _edit(" access-class VTY-MGMT in\n", " access-class NOPE in\n")) is None


def test_management_interface_shut_removed_or_readdressed():
    shut = _check(GOOD, _edit(" ip address 10.250.0.1 255.255.255.255\n",
                              " ip address 10.250.0.1 255.255.255.255\n shutdown\n"))
    assert "interface Loopback0 (holding 10.250.0.1) would be shut down" in shut
    assert "'interface Loopback0 / shutdown'" in shut
    readdressed = _check(GOOD, _edit("ip address 10.250.0.1 ", "ip address 10.250.0.9 "))
    assert "no interface would hold the management address 10.250.0.1" in readdressed
    assert "'interface Loopback0 / ip address 10.250.0.9 255.255.255.255'" in readdressed


def test_removing_the_only_route_to_the_controller():
    reason = _check(GOOD, _edit("ip route 0.0.0.0 0.0.0.0 10.251.1.1\n", ""))
    assert "no route would cover the controller 10.99.0.1" in reason
    assert "'no ip route 0.0.0.0 0.0.0.0 10.251.1.1'" in reason
    # another covering route stays, or the controller is on a connected subnet: fine
    narrower = "ip route 10.99.0.0 255.255.255.0 10.251.1.1\n"
    assert _check(GOOD, _edit("ip route 0.0.0.0 0.0.0.0 10.251.1.1\n", narrower)) is None
    connected = lockout.Controller(IPv4Address("10.251.1.1"), "pdcadmin", IPv4Address("10.250.0.1"))
    assert _check(GOOD, _edit("ip route 0.0.0.0 0.0.0.0 10.251.1.1\n", ""), controller=connected) is None


def test_aaa_and_login_rules():
    assert "no aaa new-model" in _check(GOOD, _edit("aaa new-model\n", ""))
    no_local = _check(GOOD, _edit("login default local", "login default group tacacs+"))
    assert "login list 'default' would not include local (group tacacs+)" in no_local
    assert _check(GOOD, _edit("login default local", "login default group tacacs+ local")) is None
    other_list = _check(GOOD, _edit(" login authentication default\n", " login authentication VTY\n"))
    assert "login list 'VTY' would not include local (not defined)" in other_list
    assert "'line vty 0 4 / login authentication VTY'" in other_list


def test_transport_and_local_user_rules():
    assert "would not allow ssh" in _check(GOOD, _edit("transport input ssh", "transport input telnet"))
    assert _check(GOOD, _edit("transport input ssh", "transport input all")) is None
    lowered = _check(GOOD, _edit("privilege 15", "privilege 1"))
    assert "user pdcadmin would drop to privilege 1" in lowered
    assert "$9$" not in lowered and "secret <...>" in lowered
    removed = _check(GOOD, _edit("username pdcadmin privilege 15 secret 9 $9$abc\n", ""))
    assert "user pdcadmin would be removed" in removed


def test_a_rule_already_broken_today_refuses_nothing():
    # the controller reaches this device by a route the config does not show (OSPF): no static route rule
    running = _edit("ip route 0.0.0.0 0.0.0.0 10.251.1.1\n", "")
    assert _check(running, running + "ntp server 10.20.3.11\n") is None


def test_other_platforms_are_refused_until_implemented():
    assert _check(GOOD, GOOD, platform="huawei_vrp") == "lockout check not implemented for huawei_vrp"


@pytest.mark.parametrize("controller", ["10.99.0.1", "10.20.3.7"])
def test_rendered_lab_config_admits_the_management_sources(controller):
    ctl = lockout.Controller(IPv4Address(controller), "pdcadmin", IPv4Address("10.250.0.1"))
    assert _check(GOOD, GOOD, controller=ctl) is None
    assert lockout.vty_access_class(lockout.lines_of(diff.parse(GOOD)), ctl) is None


def test_lines_the_rules_cannot_use_are_passed_over():
    odd = GOOD + "ip route vrf MGMT 0.0.0.0 0.0.0.0 10.0.0.1\ninterface Vlan5\n ip address dhcp\n"
    assert _check(odd, odd + "ntp server 10.20.3.11\n") is None
    assert "no route would cover" in _check(odd, odd.replace("ip route 0.0.0.0 0.0.0.0 10.251.1.1\n", ""))


def test_inbound_acl_on_the_interface_towards_the_controller():
    # the default route's next hop 10.251.1.1 is on GigabitEthernet1/0/1: the controller comes in there
    guarded = _edit(" ip address 10.251.1.2 255.255.255.252\n",
                    " ip address 10.251.1.2 255.255.255.252\n ip access-group UPLINK-IN in\n") + \
        "ip access-list extended UPLINK-IN\n permit tcp 10.99.0.0 0.0.0.3 host 10.250.0.1 eq 22\n permit ospf any any\n"
    assert _check(GOOD, guarded) is None
    reason = _check(guarded, guarded.replace(" permit tcp 10.99.0.0 0.0.0.3 host 10.250.0.1 eq 22\n", ""))
    assert "interface GigabitEthernet1/0/1: ip access-group UPLINK-IN in would refuse the controller 10.99.0.1 " \
        "(implicit deny at the end)" in reason
    assert "'ip access-list extended UPLINK-IN / no 10 permit tcp 10.99.0.0 0.0.0.3 host 10.250.0.1 eq 22'" in reason
    # an ACL on an interface the controller does not come in on is not the controller's business
    elsewhere = GOOD + "interface Vlan10\n ip address 10.128.0.1 255.255.255.224\n ip access-group AGENCY in\n" \
        "ip access-list standard AGENCY\n permit 10.128.0.0 0.0.0.31\n"
    assert _check(GOOD, elsewhere) is None
