"""Would a change cut the controller's own management path to a device? Checked before sending.

Each rule is a predicate on one whole config (the running one, and the one the change leaves).
A device is refused when a rule holds on the running config and fails on the future one: the
change is what breaks it. A rule that already fails today (the controller is in anyway, by a path
this model does not see: a route learnt by OSPF, a lab switch with no VTY ACL) refuses nothing.

Cisco IOS is implemented; other platforms are refused until they are (see `check`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from pdc.wan import acl

Lines = list[tuple[str, list[str]]]  # (top-level line, [its child lines]) in config order


@dataclass(frozen=True)
class Controller:
    source: IPv4Address  # the controller's address as the device sees it (the session's local address)
    username: str  # the local user pdc logs in as
    device_address: IPv4Address | None  # the address pdc connects to (its management interface holds it)


def check(platform: str, running: Lines, future: Lines, change_lines: list[str], controller: Controller) -> str | None:
    """None when the change keeps the controller's path; else why not, naming the offending line."""
    if platform != "cisco_ios":
        return f"lockout check not implemented for {platform}"
    for rule in IOS_RULES:
        broken = rule(future, controller)
        if broken is None or rule(running, controller) is not None:
            continue
        message, keywords = broken
        return f"{message}; offending line: {offending(change_lines, keywords)!r}"
    return None


def lines_of(config) -> Lines:
    """A hier_config HConfig as (line, [children]) pairs: the rules need one level of nesting."""
    return [(child.text, [c.text for c in child.children]) for child in config.children]


# ---------------------------------------------------------------- rules (None: holds)

Broken = tuple[str, list[str]] | None  # (why, words that find the responsible change line)


def vty_access_class(config: Lines, ctl: Controller) -> Broken:
    for vty, children in _vtys(config):
        for child in children:
            words = child.split()
            if words[:1] != ["access-class"] or "in" not in words[2:]:
                continue
            name = words[1]
            found = acl.find(config, name)
            if found is None:
                continue  # IOS permits everything through an access-class naming a missing ACL
            try:
                verdict = found.evaluate(ctl.source, ctl.device_address)
            except acl.AclError as exc:
                return f"{vty}: access-class {name}: {exc}", _acl_keywords(name)
            if not verdict.permitted:
                return (f"{vty}: access-class {name} in would refuse the controller {ctl.source} "
                        f"({verdict.entry})", _acl_keywords(name))
    return None


def management_interface(config: Lines, ctl: Controller) -> Broken:
    if ctl.device_address is None:
        return None
    for text, children in config:
        if not text.startswith("interface "):
            continue
        if any(_address_of(c) == ctl.device_address for c in children):
            if "shutdown" in children:
                return f"{text} (holding {ctl.device_address}) would be shut down", [f"{text} / shutdown", text]
            return None
    return f"no interface would hold the management address {ctl.device_address}", \
        ["no interface", "/ ip address", "/ no ip address"]


def ingress_acl(config: Lines, ctl: Controller) -> Broken:
    """The inbound ACL of the interface the controller's packets arrive on (the one the device would
    route back through: a connected subnet, or the next hop of the longest static route); with only
    dynamic routes that interface is unknown here, and the rule holds."""
    interface = _interface_towards(config, ctl.source)
    if interface is None or ctl.device_address is None:
        return None
    name, children = interface
    line = next((c for c in children if c.startswith("ip access-group ") and c.split()[-1] == "in"), None)
    if line is None:
        return None
    acl_name = line.split()[2]
    found = acl.find(config, acl_name)
    if found is None:
        return None  # IOS filters nothing through an access-group naming a missing ACL
    try:
        verdict = found.evaluate(ctl.source, ctl.device_address)
    except acl.AclError as exc:
        return f"{name}: ip access-group {acl_name}: {exc}", [f"{name} / ip access-group", *_acl_keywords(acl_name)]
    if verdict.permitted:
        return None
    return (f"{name}: ip access-group {acl_name} in would refuse the controller {ctl.source} ({verdict.entry})",
            [f"{name} / ip access-group", *_acl_keywords(acl_name)])


def route_to_controller(config: Lines, ctl: Controller) -> Broken:
    if _connected(config, ctl.source) is not None:
        return None  # directly connected
    for text, _ in config:
        words = text.split()
        if words[:2] == ["ip", "route"] and _covers(words[2:4], ctl.source, IPv4Network):
            return None
    return f"no route would cover the controller {ctl.source}", ["ip route"]


def _interface_towards(config: Lines, address: IPv4Address) -> tuple[str, list[str]] | None:
    connected = _connected(config, address)
    if connected is not None:
        return connected
    best = None
    for text, _ in config:
        words = text.split()
        if words[:2] == ["ip", "route"] and len(words) >= 5 and _covers(words[2:4], address, IPv4Network):
            prefix = IPv4Network("/".join(words[2:4])).prefixlen
            if best is None or prefix > best[0]:
                best = (prefix, words[4])
    if best is None:
        return None
    try:
        return _connected(config, IPv4Address(best[1]))
    except ValueError:
        return None  # `ip route ... Null0` or an interface name: no next hop to follow


def _connected(config: Lines, address: IPv4Address) -> tuple[str, list[str]] | None:
    for text, children in config:
        if text.startswith("interface ") and "shutdown" not in children:
            for child in children:
                words = child.split()
                if words[:2] == ["ip", "address"] and _covers(words[2:4], address, IPv4Interface):
                    return text, children
    return None


def _covers(address_and_mask: list[str], address: IPv4Address, kind) -> bool:
    """`10.0.0.0 255.0.0.0` holds `address`; anything else (`vrf X`, `dhcp`, a short line) does not."""
    try:
        network = kind("/".join(address_and_mask)) if len(address_and_mask) == 2 else None
    except ValueError:
        return False
    return network is not None and address in getattr(network, "network", network)


def aaa_new_model(config: Lines, ctl: Controller) -> Broken:
    if any(text == "aaa new-model" for text, _ in config):
        return None
    return "AAA would be switched off (no aaa new-model)", ["aaa new-model"]


def vty_login(config: Lines, ctl: Controller) -> Broken:
    new_model = any(text == "aaa new-model" for text, _ in config)
    for vty, children in _vtys(config):
        if not new_model:
            if "login local" not in children:
                return f"{vty}: login would no longer use the local users", ["login"]
            continue
        method_list = next((c.split()[2] for c in children if c.startswith("login authentication ")), "default")
        methods = _login_methods(config, method_list)
        if methods is None and method_list == "default":
            continue  # aaa new-model without a default list checks the local users
        if methods is None or not {"local", "local-case"} & set(methods):
            return (f"{vty}: login list {method_list!r} would not include local "
                    f"({' '.join(methods) if methods else 'not defined'})",
                    [f"aaa authentication login {method_list}", f"login authentication {method_list}",
                     "aaa authentication", "login authentication"])
    return None


def vty_transport(config: Lines, ctl: Controller) -> Broken:
    for vty, children in _vtys(config):
        line = next((c for c in children if c.startswith("transport input ")), None)
        if line is not None and not {"ssh", "all"} & set(line.split()[2:]):
            return f"{vty}: {line!r} would not allow ssh", ["transport input"]
    return None


def local_user(config: Lines, ctl: Controller) -> Broken:
    for text, _ in config:
        words = text.split()
        if words[:2] == ["username", ctl.username]:
            level = words[words.index("privilege") + 1] if "privilege" in words[:-1] else "1"
            privilege = int(level) if level.isdigit() else 1
            if privilege == 15:
                return None
            return f"the controller's user {ctl.username} would drop to privilege {privilege}", \
                [f"username {ctl.username}"]
    return f"the controller's user {ctl.username} would be removed", [f"username {ctl.username}"]


IOS_RULES = (vty_access_class, ingress_acl, management_interface, route_to_controller, aaa_new_model, vty_login,
             vty_transport, local_user)


# ---------------------------------------------------------------- helpers

def _acl_keywords(name: str) -> list[str]:
    # the ACL's own entries first, then any line naming it, then the access-class lines
    return [f" {name} / ", f"access-list {name} ", f" {name}", "access-class"]


def _vtys(config: Lines) -> list[tuple[str, list[str]]]:
    return [(text, children) for text, children in config if text.startswith("line vty ")]


def _address_of(child: str) -> IPv4Address | None:
    words = child.split()
    if words[:2] == ["ip", "address"] and len(words) >= 3:
        try:
            return IPv4Address(words[2])
        except ValueError:
            return None
    return None


def _login_methods(config: Lines, method_list: str) -> list[str] | None:
    prefix = ["aaa", "authentication", "login", method_list]
    for text, _ in config:
        words = text.split()
        if words[:4] == prefix:
            return words[4:]
    return None


SECRET_WORDS = re.compile(r"\b(secret|password|key|community|auth|priv)\b.*$")


def offending(change_lines: list[str], keywords: list[str]) -> str:
    """The change line (as `section / line` inside a section) that a broken rule points at: the first
    line holding the first keyword that any line holds. Secrets are cut off."""
    from pdc.wan.diff import sectioned

    shown = sectioned(change_lines)
    for keyword in keywords:
        hit = next((text for text in shown if keyword in text), None)
        if hit is not None:
            return without_secrets(hit)
    return "(the change as a whole)"


def without_secrets(line: str) -> str:
    """A config line cut at its first secret-bearing word (the device may hold secrets pdc never knew)."""
    return SECRET_WORDS.sub(lambda m: m.group(1) + " <...>", line)
