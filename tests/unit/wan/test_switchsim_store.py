"""The emulator's config store and grammar, without SSH: IOS replace/negate rules, strictness."""

from __future__ import annotations

import pytest

from pdc.lab.switchsim import grammar
from pdc.lab.switchsim.store import ConfigError, SwitchConfig

PORTS = ["FastEthernet0/1", "GigabitEthernet0/1"]


def apply(config: SwitchConfig, lines: list[str]) -> None:
    """Feed lines the way the config processor does (global mode and one level of sub-mode)."""
    section, mode = config.root, "global"
    for line in lines:
        text = grammar.canonical(line.strip())
        negate = text.startswith("no ")
        body = text[3:] if negate else text
        for candidate_mode, parent in ((mode, section), ("global", config.root)):
            rule = grammar.match(candidate_mode, body)
            if negate and (rule or any(c.text.startswith(body) for c in parent.children)
                           or grammar.DEFAULT_ON[candidate_mode].match(body)):
                config.negate(parent, candidate_mode, body)
                break
            if rule and not negate:
                if rule.enters:
                    section, mode = config.enter(rule.enters, body), rule.enters
                else:
                    config.set(parent, candidate_mode, body, rule)
                    if candidate_mode == "global":
                        section, mode = config.root, "global"
                break
        else:
            raise ConfigError(line)


def test_keyed_lines_replace_and_others_accumulate():
    config = SwitchConfig("sw", PORTS)
    apply(config, ["hostname a", "hostname b", "ntp server 10.0.0.1", "ntp server 10.0.0.2",
                   "interface Vlan10", " ip address 10.1.0.1 255.255.255.0", " ip address 10.1.0.2 255.255.255.0"])
    text = config.render()
    assert "hostname b" in text and "hostname a" not in text and config.hostname == "b"
    assert "ntp server 10.0.0.1" in text and "ntp server 10.0.0.2" in text
    assert text.count(" ip address ") == 1 and " ip address 10.1.0.2 255.255.255.0" in text


def test_negation_and_default_on_features():
    config = SwitchConfig("sw", PORTS)
    apply(config, ["ntp server 10.0.0.1", "no ntp server 10.0.0.1", "no cdp run", "no ip http server"])
    text = config.render()
    assert "ntp server" not in text and "no cdp run" in text and "no ip http server" in text
    apply(config, ["cdp run"])
    assert "cdp run" not in config.render()


def test_interface_names_expand_and_unknown_ports_are_refused():
    config = SwitchConfig("sw", PORTS)
    apply(config, ["interface Gi0/1", " description up"])
    assert "interface GigabitEthernet0/1\n description up" in config.render()
    with pytest.raises(ConfigError):
        config.enter("interface", "interface GigabitEthernet0/9")
    with pytest.raises(ConfigError):
        config._remove_section("interface", "interface FastEthernet0/1")
    with pytest.raises(ConfigError):
        config._remove_section("vlan", "vlan 1")


@pytest.mark.parametrize("line", ["hostnme x", "ip route 10.0.0.0 255.0.0.300 10.0.0.1", "vlan 4095",
                                  "snmp-server user a b v2c", "logging trap loud", "spanning-tree mode fast"])
def test_malformed_lines_match_no_rule(line):
    assert grammar.match("global", line) is None


@pytest.mark.parametrize("line", ["ntp server", "hostname", "ip route 10.0.0.0 255.0.0.0"])
def test_incomplete_lines_are_recognised(line):
    assert grammar.match("global", line) is None
    assert grammar.is_incomplete("global", line)


def test_acl_sequence_numbers_are_not_shown_and_startup_is_a_copy():
    config = SwitchConfig("sw", PORTS)
    apply(config, ["ip access-list standard MGMT", " 10 permit 10.0.0.0 0.0.0.255", " deny any log"])
    assert "ip access-list standard MGMT\n permit 10.0.0.0 0.0.0.255\n deny any log" in config.render()
    config.save()
    apply(config, ["hostname changed"])
    assert "hostname sw" in config.render(config.startup) and "hostname changed" in config.render()
