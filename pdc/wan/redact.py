"""Remove every secret-bearing value from device config text, whoever set it.

Matching is by pattern (the command's shape), not by known strings, so a foreign TACACS key
or an old type-9 hash is caught as surely as pdc's own secrets. The line is kept and only the
value is replaced with ``MARK``: a diff still shows that something changed there.

Cisco IOS and Huawei VRP forms are covered, and their negations (``no ...``, ``undo ...``): a
remediation that removes a foreign secret names its value too. Indented lines are matched with
their section header in mind (a ``key`` line is secret in a ``tacacs server`` block, not in a
``key chain``).
"""

from __future__ import annotations

import re

MARK = "<redacted>"

# Words between a secret keyword and its value: IOS encryption types, VRP forms, privilege levels.
_MODIFIERS = r"(?:(?:[0-9]|cipher|irreversible-cipher|simple|plain|encrypted|level\s+\d+)\s+)*"
# A value is the next token that is not itself one of those words.
_VALUE = r"(?!(?:cipher|irreversible-cipher|simple|plain|encrypted)(?:\s|$))(?P<v>\S+)"


# The start of a command line (or of a quoted command in an error reason): in a session log
# after the device's prompt (IOS `sw(config)#`, VRP `[~sw]`/`<sw>`), negated or not (`no`, `undo`).
_PROMPT = r"(?:[\w.\-]+(?:\([\w\-]+\))?[#>]|[<\[][~*]?[\w.\-]+(?:-[\w\-]+)?[>\]])"
_START = rf"(?:^|(?<=['\"]))\s*(?:{_PROMPT}\s*)?(?:no\s+|undo\s+)?"


def _rule(prefix: str) -> re.Pattern:
    return re.compile(prefix + _MODIFIERS + _VALUE, re.IGNORECASE)


# Secrets recognisable on any line.
_ANYWHERE = [
    # enable secret/password, username ... secret/password, line password, VRP local-user/super password
    _rule(r"(?<![\w-])(?:secret|password)\s+"),
    # VRP: `cipher X`, `irreversible-cipher X`, `simple X` wherever they stand
    re.compile(r"(?<![\w-])(?:cipher|irreversible-cipher|simple)\s+" + _VALUE, re.IGNORECASE),
    # type 5/8/9 (and VRP $1a$, Linux $5$/$6$) crypt hashes anywhere
    re.compile(r"(?P<v>\$(?:1a?|5|6|8|9)\$\S+)"),
    # `key 7 <hex>` / `key 0 <text>` in any command (ntp, ospf, tacacs, radius, bgp neighbours)
    re.compile(r"(?<![\w-])key\s+[0-9]\s+(?P<v>\S+)", re.IGNORECASE),
    # type 7 blobs: two decimal digits then hex pairs, after a lone 7
    re.compile(r"(?<!\S)7\s+(?P<v>\d{2}(?:[0-9A-Fa-f]{2}){2,})(?!\S)"),
    re.compile(r"(?<![\w-])key-string\s+(?:[0-9]\s+)?(?P<v>\S+)", re.IGNORECASE),
    # ntp authentication-key N md5 X; ip ospf authentication-key X; message-digest-key N md5 X
    re.compile(r"(?<![\w-])authentication-key\s+(?:\d+\s+md5\s+)?(?:[0-9]\s+)?(?P<v>\S+)", re.IGNORECASE),
    re.compile(r"(?<![\w-])message-digest-key\s+\d+\s+md5\s+(?:[0-9]\s+)?(?P<v>\S+)", re.IGNORECASE),
    _rule(r"(?<![\w-])(?:shared-key|pre-shared-key)\s+(?!(?:address|hostname)\s)"),
    # per-server and per-peer keys: `server-private A key X`, keyring `pre-shared-key address A key X`
    re.compile(r"(?<![\w-])(?:server-private|pre-shared-key)\s.*?(?<![\w-])key\s+(?:[0-9]\s+)?(?P<v>\S+)",
               re.IGNORECASE),
    # VRRP/HSRP plain-text authentication strings
    re.compile(r"(?<![\w-])authentication\s+text\s+(?P<v>\S+)", re.IGNORECASE),
    # tacacs-server key X, radius-server key X, tacacs-server host A key X, crypto isakmp key X address A
    re.compile(_START + r"(?:tacacs-server|radius-server|crypto\s+isakmp)\b.*?(?<![\w-])key\s+(?:[0-9]\s+)?(?P<v>\S+)",
               re.IGNORECASE),
    # SNMP communities (IOS and VRP) and the community of a v1/v2c trap host
    re.compile(_START + r"snmp-server\s+community\s+(?P<v>\S+)", re.IGNORECASE),
    re.compile(_START + r"snmp-agent\s+community\s+(?:read|write|notify)\s+(?:cipher\s+|simple\s+)?" + _VALUE,
               re.IGNORECASE),
    re.compile(_START + r"snmp-server\s+host\s+\S+\s+(?:(?:informs|traps)\s+)?"
               r"(?:version\s+(?:1|2c|3\s+(?:auth|noauth|priv))\s+)?(?P<v>\S+)", re.IGNORECASE),
    # SNMPv3 user keys: IOS `auth sha K priv aes 128 K`, VRP `authentication-mode sha K`
    re.compile(_START + r"snmp-server\s+user\b.*?\bauth\s+(?:md5|sha\S*)\s+" + _VALUE, re.IGNORECASE),
    re.compile(_START + r"snmp-server\s+user\b.*?\bpriv\s+(?:3des|des\S*|aes\s+\d+)\s+" + _VALUE, re.IGNORECASE),
    # `key X` typed in a server block, as a session log shows it after the block's prompt
    re.compile(r"\(config-(?:server-tacacs|server-radius|radius-server)\)#\s*(?:server-)?key\s+(?:[0-9]\s+)?"
               r"(?P<v>\S+)", re.IGNORECASE),
    re.compile(r"(?<![\w-])(?:authentication-mode|privacy-mode)\s+(?:md5|sha\S*|des\S*|3des|aes\d*)\s+"
               r"(?:\d+\s+)?(?:cipher\s+|simple\s+|plain\s+)?" + _VALUE, re.IGNORECASE),
]

# `key X` inside these sections (IOS `tacacs server`/`radius server`/`aaa server radius` blocks).
_KEY_SECTIONS = re.compile(r"^(?:no\s+)?(?:tacacs\s+server|radius\s+server|aaa\s+server\s+radius)\b", re.IGNORECASE)
_SECTION_KEY = re.compile(r"^\s+(?:server-)?key\s+(?:[0-9]\s+)?(?P<v>\S+)", re.IGNORECASE)


# Every pattern above needs one of these words: most config lines skip the patterns entirely.
_WORDS = ("secret", "password", "cipher", "simple", "key", "$", "snmp", "-mode", "authentication")
_TYPE7 = re.compile(r"(?<!\S)7\s+\d")


def _replace(pattern: re.Pattern, line: str) -> str:
    out, last = [], 0
    for match in pattern.finditer(line):
        out.append(line[last:match.start("v")])
        out.append(MARK)
        last = match.end("v")
    out.append(line[last:])
    return "".join(out)


def redact_line(line: str, section: str = "") -> str:
    """One config line with its secret values replaced; ``section`` is its top-level header."""
    lower = line.lower()
    if not any(word in lower for word in _WORDS) and not _TYPE7.search(line):
        return line
    for pattern in _ANYWHERE:
        if pattern.search(line):
            line = _replace(pattern, line)
    if section and line[:1].isspace() and _KEY_SECTIONS.match(section):
        line = _replace(_SECTION_KEY, line)
    return line


class LineRedactor:
    """Redacts text that arrives line by line, remembering the current top-level section."""

    def __init__(self) -> None:
        self.section = ""

    def line(self, line: str) -> str:
        stripped = line.rstrip("\r\n")
        if stripped and not stripped[:1].isspace():
            self.section = stripped
        return redact_line(line, self.section)


def redact(text: str) -> str:
    """Every line of ``text`` redacted; line ends are kept as they were.

    Only lines holding a trigger word go through the patterns; they are found with plain
    substring searches (a regex alternation over the whole text costs ten times more).
    """
    out, last = [], 0
    for start in _trigger_lines(text):
        end = text.find("\n", start)
        end = len(text) if end == -1 else end
        line = text[start:end]
        out.append(text[last:start])
        out.append(redact_line(line, _section_before(text, start) if line[:1].isspace() else ""))
        last = end
    out.append(text[last:])
    return "".join(out)


def _trigger_lines(text: str) -> list[int]:
    """The start offsets of the lines holding a trigger word, in order."""
    lower = text.lower()
    starts = set()
    for word in _WORDS:
        at = lower.find(word)
        while at != -1:
            start = text.rfind("\n", 0, at) + 1
            starts.add(start)
            end = text.find("\n", at)
            at = -1 if end == -1 else lower.find(word, end)
    starts.update(text.rfind("\n", 0, m.start()) + 1 for m in _TYPE7.finditer(text))
    return sorted(starts)


def _section_before(text: str, pos: int) -> str:
    """The top-level (unindented) line above the line starting at ``pos``."""
    end = pos
    while end > 0:
        start = text.rfind("\n", 0, end - 1) + 1
        line = text[start:end].rstrip("\r\n")
        if line and not line[:1].isspace():
            return line
        end = start
    return ""
