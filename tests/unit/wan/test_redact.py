"""Pattern redaction: every secret-bearing value of real-looking IOS and VRP lines, whoever set it."""

from __future__ import annotations

import pytest

from pdc.wan.redact import MARK, LineRedactor, redact, redact_line

# (line, the secret values in it); the values are invented but have the devices' real shapes
SECRET_LINES = [
    ("enable secret 9 $9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvyQYwucySCt7qFm4v7pqCxkKM", ["$9$nhEmQVczB7dqsO"]),
    ("enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0", ["$1$mERr$hx5rVt7rPNoS4wqbXKX7m0"]),
    ("enable secret level 15 8 $8$dsYGNam3K1SIJO$7nv/35M/qr6t.dVc7UY9zrJDWRVqncHub1PE9UlMQFs", ["$8$dsYGNam3K1SIJO"]),
    ("enable password 7 0822455D0A16", ["0822455D0A16"]),
    ("enable password Cisco-Plain-Old", ["Cisco-Plain-Old"]),
    ("username oldadmin privilege 15 secret 9 $9$2MJBozw/9R3UsU$BbO0v0UfOKq1r8rb6jLsbl/3bB0jxNkrS0rB4mDh8Yc",
     ["$9$2MJBozw/9R3UsU$BbO0v0UfOKq1r8rb6jLsbl/3bB0jxNkrS0rB4mDh8Yc"]),
    ("username backup password 7 094F471A1A0A", ["094F471A1A0A"]),
    ("username ops privilege 15 password 0 Plain-Text-Pass1", ["Plain-Text-Pass1"]),
    ("username x algorithm-type scrypt secret Scrypt-Plain-9", ["Scrypt-Plain-9"]),
    (" password 7 045802150C2E", ["045802150C2E"]),
    ("snmp-server community Xy9-private RW 99", ["Xy9-private"]),
    ("snmp-server community public RO", ["public"]),
    ("snmp-server host 10.20.8.5 version 2c trapCommunity9", ["trapCommunity9"]),
    ("snmp-server user monitor MON v3 auth sha AuthKey-1234 priv aes 128 PrivKey-5678",
     ["AuthKey-1234", "PrivKey-5678"]),
    ("snmp-server user legacy LEG v3 encrypted auth md5 0x1a2b3c4d5e6f priv des 0x6f5e4d3c2b1a",
     ["0x1a2b3c4d5e6f", "0x6f5e4d3c2b1a"]),
    ("tacacs-server key 7 13061E010803557878", ["13061E010803557878"]),
    ("tacacs-server key Tacacs-Plain-Key", ["Tacacs-Plain-Key"]),
    ("tacacs-server host 10.1.1.9 key SharedTac9", ["SharedTac9"]),
    ("radius-server key 0 Radius-Plain", ["Radius-Plain"]),
    ("radius-server host 10.1.1.8 auth-port 1812 acct-port 1813 key RadHostKey", ["RadHostKey"]),
    ("ntp authentication-key 1 md5 104D000A0618 7", ["104D000A0618"]),
    ("ntp authentication-key 2 md5 NtpPlainKey", ["NtpPlainKey"]),
    (" ip ospf authentication-key 7 070C285F4D06", ["070C285F4D06"]),
    (" ip ospf message-digest-key 1 md5 7 02050D480809", ["02050D480809"]),
    ("  key-string 7 110A1016141D", ["110A1016141D"]),
    (" neighbor 10.0.0.2 password 7 1511021F0725", ["1511021F0725"]),
    ("crypto isakmp key IsakmpPsk123 address 203.0.113.9", ["IsakmpPsk123"]),
    (" pre-shared-key address 203.0.113.9 key KeyringPsk1", ["KeyringPsk1"]),
    (" server-private 10.1.1.9 key PrivTacKey1", ["PrivTacKey1"]),
    (" server-private 10.1.1.9 key 7 0822455D0A16", ["0822455D0A16"]),
    (" vrrp 1 authentication text VrrpText1", ["VrrpText1"]),
    # Huawei VRP
    (" local-user admin password irreversible-cipher $1a$a0/9K;4Z$Z^h%A]p$", ["$1a$a0/9K;4Z$Z^h%A]p$"]),
    (" local-user old password cipher %^%#aBcD1234eFgH%^%#", ["%^%#aBcD1234eFgH%^%#"]),
    (" local-user tmp password simple VrpPlain123", ["VrpPlain123"]),
    ("super password level 15 cipher %$%$Sup3rCiph3r%$%$", ["%$%$Sup3rCiph3r%$%$"]),
    (" set authentication password cipher %@%@VtyCiph%@%@", ["%@%@VtyCiph%@%@"]),
    ("snmp-agent community read cipher %^%#RoCommunity%^%#", ["%^%#RoCommunity%^%#"]),
    ("snmp-agent community write PlainWriteComm", ["PlainWriteComm"]),
    ("snmp-agent usm-user v3 nms authentication-mode sha VrpAuthKey1", ["VrpAuthKey1"]),
    ("snmp-agent usm-user v3 nms privacy-mode aes128 cipher %^%#VrpPriv%^%#", ["%^%#VrpPriv%^%#"]),
    (" shared-key cipher %^%#HwTacKey%^%#", ["%^%#HwTacKey%^%#"]),
    ("radius-server shared-key simple RadiusVrp1", ["RadiusVrp1"]),
    (" ospf authentication-mode md5 1 cipher %^%#OspfKey%^%#", ["%^%#OspfKey%^%#"]),
    # a remediation removing a foreign secret names it too
    ("no snmp-server community Foreign-Comm RO", ["Foreign-Comm"]),
    ("no snmp-server user spy SPY v3 auth sha SpyAuthKey1 priv aes 128 SpyPrivKey1", ["SpyAuthKey1", "SpyPrivKey1"]),
    ("no tacacs-server key Foreign-Tac-Key", ["Foreign-Tac-Key"]),
    ("no username olduser privilege 15 secret 9 $9$abcdefghijklmn$0123456789", ["$9$abcdefghijklmn"]),
    ("undo snmp-agent community read cipher %^%#Gone%^%#", ["%^%#Gone%^%#"]),
]

# The same commands as a session log shows them: after the device's prompt.
PROMPTED_LINES = [
    ("dc(config)#snmp-server community Logged-Comm RO", "Logged-Comm"),
    ("dc(config)#no snmp-server community Logged-Comm2 RO", "Logged-Comm2"),
    ("tp-hai-duong-01(config)#tacacs-server key Logged-Tac", "Logged-Tac"),
    ("dc(config)#snmp-server user u G v3 auth sha Logged-Auth priv aes 128 Logged-Priv", "Logged-Priv"),
    ("dc(config-server-tacacs)#key Logged-Block-Key", "Logged-Block-Key"),
    ("[~HUAWEI]snmp-agent community read Logged-Vrp", "Logged-Vrp"),
    ("<sw1>undo snmp-agent community write Logged-Vrp2", "Logged-Vrp2"),
    # and quoted in an error reason
    ("device refused 'snmp-server community Quoted-Comm RW' (% Invalid input)", "Quoted-Comm"),
]

# Lines with no secret: they must come back unchanged.
CLEAN_LINES = [
    "hostname tp-hai-duong-01",
    "service password-encryption",
    "no service password-recovery",
    "security passwords min-length 12",
    "aaa authentication login default group tacacs+ local",
    "ip ssh version 2",
    "crypto key generate rsa modulus 2048",
    "key chain OSPF-KEYS",
    " key 1",
    "snmp-server enable traps",
    "ssh user netadmin authentication-type password",
    "interface Vlan7",
    " switchport access vlan 7",
    "ip route 0.0.0.0 0.0.0.0 10.20.0.1",
    "logging host 10.20.8.5 transport udp port 514",
    "ntp server 10.20.8.6",
    " authentication-mode aaa",
]


@pytest.mark.parametrize(("line", "secrets"), SECRET_LINES, ids=[line[:40] for line, _ in SECRET_LINES])
def test_every_secret_value_is_replaced_and_the_command_kept(line, secrets):
    out = redact_line(line)
    for secret in secrets:
        assert secret not in out
    assert out.count(MARK) >= len(secrets)
    command = line.split()[0]
    assert out.startswith(line[:len(line) - len(line.lstrip())] + command)  # the line still says what it is


@pytest.mark.parametrize(("line", "secret"), PROMPTED_LINES)
def test_echoed_commands_after_a_prompt_are_redacted(line, secret):
    out = redact_line(line)
    assert secret not in out and MARK in out


@pytest.mark.parametrize("line", CLEAN_LINES)
def test_lines_without_secrets_are_unchanged(line):
    assert redact_line(line) == line


@pytest.mark.parametrize("header", ["tacacs server TAC1", "radius server RAD1", "aaa server radius dynamic-author"])
def test_a_plain_key_inside_a_server_block_is_secret(header):
    text = f"{header}\n address ipv4 10.1.1.9\n key Block-Plain-Key\n server-key Other-Key\n!\n"
    out = redact(text)
    assert "Block-Plain-Key" not in out and "Other-Key" not in out
    assert " address ipv4 10.1.1.9" in out


def test_a_key_line_of_a_key_chain_is_not_a_secret():
    text = "key chain OSPF\n key 1\n  key-string 7 110A1016141D\n"
    assert redact(text) == f"key chain OSPF\n key 1\n  key-string 7 {MARK}\n"


def test_line_redactor_keeps_the_section_across_calls():
    redactor = LineRedactor()
    assert redactor.line("tacacs server T\r\n") == "tacacs server T\r\n"
    assert redactor.line(" key Streamed-Key\r\n") == f" key {MARK}\r\n"
    assert redactor.line("hostname x\n") == "hostname x\n"
    assert redactor.line(" key 1\n") == " key 1\n"  # no longer in a server block


def test_line_ends_are_kept():
    text = "enable secret 5 $1$ab$cd\r\nhostname a\n\nend"
    assert redact(text) == f"enable secret 5 {MARK}\r\nhostname a\n\nend"


def test_the_fast_whole_text_path_equals_line_by_line():
    corpus = [line for line, _ in SECRET_LINES] + [line for line, _ in PROMPTED_LINES] + CLEAN_LINES
    blocks = "tacacs server T\n address ipv4 10.1.1.9\n\n key Block-Key\n!\nkey chain K\n key 1\nend"
    text = "\n".join(corpus) + "\n" + blocks
    streamed = LineRedactor()
    assert redact(text) == "".join(streamed.line(line) for line in text.splitlines(keepends=True))
    assert "Block-Key" not in redact(text)
