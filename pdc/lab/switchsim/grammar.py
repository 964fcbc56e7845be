"""What the emulated IOS switch accepts, per configuration mode.

fake-switches models only a few commands and silently drops or rejects the rest
(hostname, aaa, ntp, logging, snmp-server, line vty, banners, ACLs...). Here every
accepted command is described by a regular expression of its full form, so that:
- a well-formed line the simulator does not model is stored verbatim and shown again
  by ``show running-config`` (a full config round-trips);
- a malformed line (typo, missing argument, bad address) is refused with IOS's
  ``% Invalid input`` / ``% Incomplete command``, so template errors still fail.

Each rule also says how many leading words form the line's *key*: a new line with the
same key replaces the old one (``hostname B`` replaces ``hostname A``, as on IOS);
rules without a key accumulate distinct lines (``ntp server``, ``ip route``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IP = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
WORD = r"\S+"
NUM = r"\d+"
VLAN_ID = r"(?:409[0-4]|40[0-8]\d|[1-3]\d{3}|[1-9]\d{0,2})"
VLAN_LIST = rf"{VLAN_ID}(?:-{VLAN_ID})?(?:,{VLAN_ID}(?:-{VLAN_ID})?)*"
IFACE = r"(?:FastEthernet|GigabitEthernet|TenGigabitEthernet|Vlan|Loopback|Port-channel)\d+(?:/\d+)*"
LEVEL = r"(?:emergencies|alerts|critical|errors|warnings|notifications|informational|debugging|[0-7])"
SECRET = r"(?:[05789] )?\S+"

# Interface name abbreviations IOS expands (Gi0/1 -> GigabitEthernet0/1).
IFACE_PREFIXES = {
    "fa": "FastEthernet", "fastethernet": "FastEthernet",
    "gi": "GigabitEthernet", "gigabitethernet": "GigabitEthernet",
    "te": "TenGigabitEthernet", "tengigabitethernet": "TenGigabitEthernet",
    "vl": "Vlan", "vlan": "Vlan", "lo": "Loopback", "loopback": "Loopback",
    "po": "Port-channel", "port-channel": "Port-channel",
}


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern
    key_words: int | None = None  # words forming the replace key; None: accumulate
    enters: str | None = None  # the sub-mode this command opens


def _r(pattern: str, key: int | None = None, enters: str | None = None) -> Rule:
    return Rule(re.compile(rf"^(?:{pattern})$"), key, enters)


GLOBAL = [
    _r(rf"hostname {WORD}", 1),
    _r(r"service (?:password-encryption|tcp-keepalives-in|tcp-keepalives-out|sequence-numbers|pad)"),
    _r(r"service timestamps (?:debug|log) (?:datetime(?: msec)?(?: localtime)?(?: show-timezone)?|uptime)", 3),
    _r(rf"ip domain[- ]name {WORD}", 3),
    _r(r"ip domain[- ]lookup"),
    _r(r"ip (?:http server|http secure-server|source-route|bootp server|finger|routing|cef)"),
    _r(r"ip ssh version [12]", 3),
    _r(rf"ip ssh (?:time-out|authentication-retries) {NUM}", 3),
    _r(rf"ip ssh source-interface {IFACE}", 3),
    _r(r"ip ssh logging events"),
    _r(rf"ip route {IP} {IP} (?:{IP}|{IFACE})(?: {NUM})?(?: name {WORD})?"),
    _r(rf"ip default-gateway {IP}", 2),
    _r(rf"ip access-list standard {WORD}", None, "acl"),
    _r(rf"ip access-list extended {WORD}", None, "acl"),
    _r(r"aaa new-model"),
    _r(r"aaa session-id common"),
    _r(rf"aaa authentication login {WORD}(?: (?:local|enable|none|group {WORD}))+", 4),
    _r(rf"aaa authentication enable default(?: (?:enable|none|group {WORD}))+", 4),
    _r(rf"aaa authorization (?:exec|console|commands {NUM}) {WORD}(?: (?:local|none|if-authenticated|group {WORD}))+",
       4),
    _r(rf"aaa accounting (?:exec|commands {NUM}|connection|system) {WORD} (?:start-stop|stop-only|none)"
       rf"(?: (?:group {WORD}|local))*", 4),
    _r(rf"username {WORD} (?:privilege \d+ )?(?:secret|password) {SECRET}", 2),
    _r(rf"enable (?:secret|password) {SECRET}", 2),
    _r(rf"tacacs-server key {SECRET}", 2),
    _r(rf"vlan {VLAN_ID}", None, "vlan"),
    _r(rf"interface {IFACE}", None, "interface"),
    _r(r"line (?:con 0|vty \d+(?: \d+)?)", None, "line"),
    _r(rf"ntp server {IP}(?: prefer)?(?: source {IFACE})?", 3),
    _r(rf"ntp source {IFACE}", 2),
    _r(r"ntp (?:authenticate|update-calendar)"),
    _r(rf"logging (?:host )?{IP}(?: transport (?:udp|tcp) port {NUM})?", 3),
    _r(rf"logging trap {LEVEL}", 2),
    _r(rf"logging buffered {NUM}(?: {LEVEL})?", 2),
    _r(rf"logging console {LEVEL}", 2),
    _r(rf"logging source-interface {IFACE}", 2),
    _r(r"logging origin-id (?:hostname|ip)", 2),
    _r(r"logging on"),
    _r(rf"snmp-server group {WORD} v3 (?:auth|noauth|priv)(?: (?:read|write|notify|access) {WORD})*", 3),
    _r(rf"snmp-server user {WORD} {WORD} v3 auth (?:sha|md5) {WORD} priv (?:aes (?:128|192|256)|3des|des) {WORD}"
       rf"(?: access {WORD})?", 3),
    _r(rf"snmp-server host {IP} version 3 (?:auth|noauth|priv) {WORD}(?: {WORD})*", 3),
    _r(rf"snmp-server community {WORD}(?: (?:RO|RW))?(?: {WORD})?", 3),
    _r(r"snmp-server (?:location|contact) .+", 2),
    _r(r"snmp-server enable traps(?: .+)?"),
    _r(r"snmp-server (?:ifindex persist|trap-source \S+)"),
    _r(r"lldp run"),
    _r(rf"lldp (?:timer|holdtime|reinit) {NUM}", 2),
    _r(r"cdp run"),
    _r(r"spanning-tree mode (?:pvst|rapid-pvst|mst)", 2),
    _r(r"spanning-tree (?:extend system-id|loopguard default|logging)"),
    _r(r"spanning-tree portfast (?:edge )?(?:default|bpduguard default|bpdufilter default)"),
    _r(rf"spanning-tree vlan {VLAN_LIST} priority {NUM}", 3),
    _r(r"vtp mode (?:transparent|server|client|off)", 2),
    _r(rf"vtp domain {WORD}", 2),
    _r(rf"clock timezone {WORD} -?\d+(?: \d+)?", 2),
    _r(rf"errdisable recovery cause {WORD}"),
    _r(rf"errdisable recovery interval {NUM}", 3),
    _r(rf"login block-for {NUM} attempts {NUM} within {NUM}", 1),
    _r(r"login on-(?:failure|success) log(?: every \d+)?", 2),
    _r(rf"router ospf {NUM}", None, "router"),
    _r(rf"crypto key generate rsa(?: general-keys)?(?: modulus {NUM})?"),
    _r(r"no ip domain[- ]lookup"),
    _r(r"port-channel load-balance \S+", 2),
    _r(r"archive", None, "archive"),
]

INTERFACE = [
    _r(r"description .+", 1),
    _r(r"switchport"),
    _r(r"switchport mode (?:access|trunk|dynamic auto|dynamic desirable)", 2),
    _r(rf"switchport access vlan {VLAN_ID}", 3),
    _r(rf"switchport trunk native vlan {VLAN_ID}", 4),
    _r(rf"switchport trunk allowed vlan (?:{VLAN_LIST}|none|all)", 4),
    _r(r"switchport trunk encapsulation (?:dot1q|isl|negotiate)", 3),
    _r(r"switchport (?:nonegotiate|port-security|port-security mac-address sticky)"),
    _r(rf"switchport port-security maximum {NUM}", 3),
    _r(r"switchport port-security violation (?:protect|restrict|shutdown)", 3),
    _r(rf"switchport port-security aging (?:time {NUM}|type (?:absolute|inactivity))", 4),
    _r(r"spanning-tree portfast(?: edge)?(?: trunk)?", 2),
    _r(r"spanning-tree bpduguard (?:enable|disable)", 2),
    _r(r"spanning-tree guard (?:root|loop|none)", 2),
    _r(r"spanning-tree link-type (?:point-to-point|shared)", 2),
    _r(r"shutdown"),
    _r(rf"ip address {IP} {IP}", 2),
    _r(rf"ip address {IP} {IP} secondary"),
    _r(rf"ip ospf (?:cost|hello-interval|dead-interval|priority) {NUM}", 3),
    _r(r"ip ospf network (?:point-to-point|broadcast)", 3),
    _r(rf"ip ospf {NUM} area {NUM}", 2),
    _r(rf"ip helper-address {IP}"),
    _r(rf"ip access-group {WORD} (?:in|out)"),
    _r(r"ip (?:redirects|proxy-arp|unreachables|route-cache)"),
    _r(r"storm-control (?:broadcast|multicast|unicast) level \d+(?:\.\d+)?", 3),
    _r(r"storm-control action (?:shutdown|trap)", 2),
    _r(r"lldp (?:transmit|receive)"),
    _r(r"cdp enable"),
    _r(rf"load-interval {NUM}", 1),
    _r(r"duplex (?:auto|full|half)", 1),
    _r(r"speed (?:auto|10|100|1000)", 1),
    _r(rf"channel-group {NUM} mode (?:active|passive|on|auto|desirable)", 1),
    _r(r"negotiation auto"),
]

VLAN = [
    _r(r"name [A-Za-z0-9_.-]{1,32}", 1),
    _r(r"state (?:active|suspend)", 1),
]

LINE = [
    _r(rf"access-class {WORD} in(?: vrf-also)?", None),
    _r(rf"access-class {WORD} out", None),
    _r(r"transport input (?:ssh|telnet|none|all|telnet ssh|ssh telnet)", 2),
    _r(r"transport output (?:ssh|telnet|none|all|telnet ssh|ssh telnet)", 2),
    _r(rf"login(?: local| authentication {WORD})?", 1),
    _r(rf"exec-timeout {NUM}(?: {NUM})?", 1),
    _r(rf"session-timeout {NUM}", 1),
    _r(r"logging synchronous"),
    _r(rf"privilege level {NUM}", 2),
    _r(r"transport preferred none", 2),
]

ROUTER = [
    _r(rf"router-id {IP}", 1),
    _r(rf"network {IP} {IP} area {NUM}"),
    _r(r"passive-interface default"),
    _r(rf"passive-interface {IFACE}"),
    _r(r"log-adjacency-changes(?: detail)?", 1),
    _r(rf"auto-cost reference-bandwidth {NUM}", 2),
    _r(r"default-information originate(?: always)?", 2),
    _r(r"redistribute (?:static|connected)(?: subnets)?", 2),
    _r(rf"area {NUM} (?:stub|nssa)(?: no-summary)?", 2),
    _r(rf"timers throttle spf {NUM} {NUM} {NUM}", 3),
]

# `archive`: where the running config is archived (the revert timer's snapshot lands there)
ARCHIVE = [
    _r(r"path (?:flash|disk0|bootflash|nvram):\S+", 1),
    _r(r"maximum (?:1[0-4]|[1-9])", 1),
    _r(rf"time-period {NUM}", 1),
    _r(r"write-memory"),
]

_ADDR = rf"(?:any|host {IP}|{IP}(?: {IP})?)"
ACL = [
    _r(rf"(?:{NUM} )?(?:permit|deny) {_ADDR}(?: log)?"),
    _r(rf"(?:{NUM} )?(?:permit|deny) (?:ip|tcp|udp|icmp|ospf|\d+) {_ADDR} {_ADDR}(?: (?:eq|gt|lt|range) \S+)*"
       r"(?: log)?"),
    _r(r"remark .+"),
]

MODES: dict[str, list[Rule]] = {
    "global": GLOBAL, "interface": INTERFACE, "vlan": VLAN, "line": LINE, "router": ROUTER, "acl": ACL,
    "archive": ARCHIVE,
}

# Lines whose *negation* is what the running config shows (the feature is on by default):
# `no cdp run` is stored; `cdp run` removes it again.
DEFAULT_ON = {
    "global": re.compile(r"^(?:cdp run|ip http server|ip http secure-server|service pad|ip domain[- ]lookup|"
                         r"ip source-route|ip bootp server|ip finger)$"),
    "interface": re.compile(r"^(?:ip redirects|ip proxy-arp|ip unreachables|switchport|cdp enable|"
                            r"lldp transmit|lldp receive|ip route-cache|negotiation auto)$"),
    "router": re.compile(rf"^passive-interface {IFACE}$"),
    "line": re.compile(r"^$"),
    "vlan": re.compile(r"^$"),
    "acl": re.compile(r"^$"),
    "archive": re.compile(r"^$"),
}

PROMPTS = {
    "global": "config", "interface": "config-if", "vlan": "config-vlan", "line": "config-line",
    "router": "config-router", "acl": "config-std-nacl",
    "archive": "config-archive",
}


def match(mode: str, line: str) -> Rule | None:
    for rule in MODES[mode]:
        if rule.pattern.match(line):
            return rule
    return None


_PROBES = ("1", "x", "1.1.1.1", "1 1", "x x", "1.1.1.1 255.255.255.0", "1.1.1.1 255.255.255.0 1.1.1.1",
           "x v3 priv", "1 x", "x 1")


def is_incomplete(mode: str, line: str) -> bool:
    """The line is a valid beginning of some command (IOS says `% Incomplete command.`)."""
    for probe in _PROBES:
        if match(mode, f"{line} {probe}"):
            return True
    return False


def normalize_interface(name: str) -> str | None:
    """Expand an IOS interface abbreviation; None when the name is not an interface."""
    m = re.match(r"^([A-Za-z-]+)\s*(\d+(?:/\d+)*)$", name)
    if not m:
        return None
    prefix = m.group(1).lower()
    for abbrev, full in IFACE_PREFIXES.items():
        if full.lower().startswith(prefix) and len(prefix) >= 2:
            return full + m.group(2)
        if prefix == abbrev:
            return full + m.group(2)
    return None


_TOKEN = re.compile(r"^[A-Za-z-]+\d+(?:/\d+)*$")
_FREE_TEXT = {"description", "name", "remark", "location", "contact", "banner", "hostname", "username"}


def canonical(line: str) -> str:
    """The line with abbreviated interface names expanded, as IOS stores it (`int Gi0/1`)."""
    words = line.split(" ")
    if words and words[0] in ("int", "inte", "inter", "interf", "interfa", "interfac"):
        words[0] = "interface"
    out = []
    for i, word in enumerate(words):
        if word in _FREE_TEXT:  # descriptions and names are kept as typed
            return " ".join(out + words[i:])
        if _TOKEN.match(word) and not word.lower().startswith(("v3", "aes")):
            full = normalize_interface(word)
            out.append(full or word)
        else:
            out.append(word)
    return " ".join(out)
