"""The WAN audit: each PDC-NET control judged on a switch's running config, feature by feature.

As Golden Config does, each check takes the config section of one feature (SSH, AAA, SNMP,
banner, VTY, logging, NTP, services) parsed with hier_config and compares it with the intended
state. The intended state comes from the model, never from a rendered template: the flows
(pdc.flows, through the device's flow context) give the ACL sources and the NTP and syslog
servers, the catalog gives the normative values. Pure: text in, results out; reading the
device is the caller's job (pdc.wan.verify's read path).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Network

from hier_config import HConfig, Platform, get_hconfig

from pdc.audit.model import HostInfo, ItemResult, Status
from pdc.controls import Catalog
from pdc.environment import Environment
from pdc.schema import Site
from pdc.wan.render import flow_context


@dataclass(frozen=True)
class Intended:
    """What the model says one device must hold, per feature."""

    vty_sources: tuple[IPv4Network, ...]
    snmp_sources: tuple[IPv4Network, ...]
    ntp_servers: tuple[str, ...]
    syslog_servers: tuple[str, ...]
    syslog_transport: str
    syslog_port: int
    values: dict  # {control id: {name: value}} from the catalog


@dataclass(frozen=True)
class Result:
    control: str
    device: str
    passed: bool
    observed: tuple[str, ...]  # the device's lines for this feature
    problems: tuple[str, ...]  # what differs from the intended state


def intended(env: Environment, site: Site, catalog: Catalog) -> Intended:
    flow = flow_context(env, site)
    return Intended(
        vty_sources=tuple(flow["vty_sources"]), snmp_sources=tuple(flow["snmp_sources"]),
        ntp_servers=tuple(str(s) for s in flow["ntp_servers"]),
        syslog_servers=tuple(str(s) for s in flow["syslog_servers"]),
        syslog_transport=flow["syslog_transport"], syslog_port=int(flow["syslog_port"]),
        values=catalog.values())


def _lines(config: HConfig, *prefixes: str) -> list[str]:
    return [c.text for c in config.get_children(startswith=prefixes)]


def _section(config: HConfig, header: str) -> list[str]:
    child = config.get_child(equals=header)
    return [] if child is None else [c.text for c in child.children]


def _missing(config: HConfig, wanted: list[str]) -> list[str]:
    return [f"missing: {line}" for line in wanted if config.get_child(equals=line) is None]


def _acl_entries(config: HConfig, name: str) -> list[str]:
    # the running config numbers ACL entries (hier_config adds them too): compare without
    return [re.sub(r"^\d+\s+", "", line) for line in _section(config, f"ip access-list standard {name}")]


def _acl_problems(config: HConfig, name: str, sources: tuple[IPv4Network, ...]) -> list[str]:
    wanted = [f"permit {n.network_address} {n.hostmask}" for n in sources] + ["deny any log"]
    found = _acl_entries(config, name)
    if found == wanted:
        return []
    return [f"{name} is {found or 'absent'}, the flows give {wanted}"]


def _set_problems(found: set[str], wanted: set[str]) -> list[str]:
    """Lines the model wants that the device lacks, and lines it holds that the model does not give."""
    return [f"missing: {x}" for x in sorted(wanted - found)] + [f"unexpected: {x}" for x in sorted(found - wanted)]


def check_ssh(config: HConfig, want: Intended) -> tuple[list[str], list[str]]:
    v = want.values["PDC-NET-001"]
    wanted = [f"ip ssh version {v['ssh_version']}", f"ip ssh time-out {v['ssh_timeout']}",
              f"ip ssh authentication-retries {v['ssh_auth_retries']}"]
    observed = _lines(config, "ip ssh ") + [f"line vty: {x}" for x in _section(config, "line vty 0 4")
                                            if x.startswith("transport input")]
    problems = _missing(config, wanted)
    vty = _section(config, "line vty 0 4")
    if "transport input ssh" not in vty:
        problems.append("line vty 0 4 does not restrict transport input to ssh")
    return observed, problems


def check_aaa(config: HConfig, want: Intended) -> tuple[list[str], list[str]]:
    v = want.values["PDC-NET-002"]
    wanted = ["aaa new-model", "aaa authentication login default local", "aaa authorization exec default local",
              f"login block-for {v['login_block_seconds']} attempts {v['login_attempts']} "
              f"within {v['login_window_seconds']}", "login on-failure log"]
    users = _lines(config, "username ")
    # the report is read by people who must not see hashes: every secret or password is masked
    observed = [re.sub(r"(secret|password) (\d+ )?\S+", r"\1 \2<hidden>", x)
                for x in _lines(config, "aaa ", "login ", "enable ") + users]
    problems = _missing(config, wanted)
    if not users:
        problems.append("no local user")
    problems += [f"user without a type-9 secret: {u.split()[1]}" for u in users if " secret 9 " not in u]
    if not config.get_child(startswith="enable secret 9 "):
        problems.append("no enable secret 9")
    if config.get_child(startswith="enable password"):
        problems.append("enable password is set")
    return observed, problems


def check_snmp(config: HConfig, want: Intended) -> tuple[list[str], list[str]]:
    observed = [re.sub(r" (auth|priv) (\S+) (\d+ )?\S+", r" \1 \2 <key>", x) for x in _lines(config, "snmp-server ")]
    problems = [f"community string configured: {x.split()[0]} {x.split()[1]} <hidden>"
                for x in _lines(config, "snmp-server community")]
    groups = _lines(config, "snmp-server group ")
    if not groups:
        problems.append("no snmp-server group")
    problems += [f"group is not v3 priv behind SNMP-MGMT: {g}" for g in groups
                 if not re.fullmatch(r"snmp-server group \S+ v3 priv access SNMP-MGMT", g)]
    problems += _acl_problems(config, "SNMP-MGMT", want.snmp_sources)
    return observed, problems


def check_banner(config: HConfig, want: Intended) -> tuple[list[str], list[str]]:
    banner = config.get_child(startswith="banner motd")
    phrase = want.values["PDC-NET-004"]["banner_phrase"]
    if banner is None:
        return [], ["no banner motd"]
    return [banner.text], ([] if phrase in banner.text else [f"banner lacks {phrase!r}"])


def check_vty(config: HConfig, want: Intended) -> tuple[list[str], list[str]]:
    minutes = want.values["PDC-NET-005"]["exec_timeout_minutes"]
    vty, con = _section(config, "line vty 0 4"), _section(config, "line con 0")
    observed = [f"VTY-MGMT: {x}" for x in _acl_entries(config, "VTY-MGMT")] + [f"line vty: {x}" for x in vty]
    problems = _acl_problems(config, "VTY-MGMT", want.vty_sources)
    if "access-class VTY-MGMT in" not in vty:
        problems.append("line vty 0 4 has no access-class VTY-MGMT in")
    for name, lines in (("vty 0 4", vty), ("con 0", con)):
        if f"exec-timeout {minutes} 0" not in lines:
            problems.append(f"line {name} exec-timeout is not {minutes} minutes")
    return observed, problems


def check_logging(config: HConfig, want: Intended) -> tuple[list[str], list[str]]:
    hosts = set(_lines(config, "logging host "))
    wanted = {f"logging host {s} transport {want.syslog_transport} port {want.syslog_port}"
              for s in want.syslog_servers}
    problems = _set_problems(hosts, wanted)
    if not wanted:
        problems.append("the flows give this device no syslog server")
    problems += _missing(config, [f"logging trap {want.values['PDC-NET-006']['logging_trap']}",
                                  "logging source-interface Loopback0"])
    return _lines(config, "logging "), problems


def check_ntp(config: HConfig, want: Intended) -> tuple[list[str], list[str]]:
    servers = set(_lines(config, "ntp server "))
    wanted = {f"ntp server {s}" for s in want.ntp_servers}
    problems = _set_problems(servers, wanted)
    if not wanted:
        problems.append("the flows give this device no NTP server")
    return _lines(config, "ntp "), problems


def check_services(config: HConfig, want: Intended) -> tuple[list[str], list[str]]:
    required = list(want.values["PDC-NET-008"]["required_lines"])
    problems = _missing(config, required)
    # "no X" required: the running config must not hold X itself either
    problems += [f"re-enabled: {line[3:]}" for line in required
                 if line.startswith("no ") and config.get_child(equals=line[3:]) is not None]
    observed = [line for line in required if config.get_child(equals=line) is not None]
    return observed, problems


CHECKS: dict[str, Callable[[HConfig, Intended], tuple[list[str], list[str]]]] = {
    "PDC-NET-001": check_ssh,
    "PDC-NET-002": check_aaa,
    "PDC-NET-003": check_snmp,
    "PDC-NET-004": check_banner,
    "PDC-NET-005": check_vty,
    "PDC-NET-006": check_logging,
    "PDC-NET-007": check_ntp,
    "PDC-NET-008": check_services,
}


def audit_config(device: str, running_config: str, want: Intended, control_ids: list[str]) -> list[Result]:
    """Judge the given controls (the device's applicable ones) on its running config."""
    config = get_hconfig(Platform.CISCO_IOS, running_config)
    results = []
    for cid in control_ids:
        observed, problems = CHECKS[cid](config, want)
        results.append(Result(cid, device, not problems, tuple(observed), tuple(problems)))
    return results


def _applicable(env: Environment, site: Site, catalog: Catalog, decisions) -> dict[str, str]:
    """{control id: active | waived} for the device (pdc.applicability, as for hosts)."""
    from pdc.applicability import NOT_APPLICABLE, verdicts, wan_target

    return {cid: v.status for cid, v in verdicts(wan_target(env, site), catalog, decisions).items()
            if v.status != NOT_APPLICABLE}


def audit_device(env: Environment, site: Site, running_config: str, catalog: Catalog, decisions) -> list[Result]:
    """The device's applicable PDC-NET controls judged on its running config (waived ones too:
    the report shows their failure as waived)."""
    return audit_config(site.id, running_config, intended(env, site, catalog),
                        list(_applicable(env, site, catalog, decisions)))


def device_items(env: Environment, site: Site, running_config: str, catalog: Catalog, decisions) -> list[ItemResult]:
    """The report's records for one device: one item per applicable control, its lines as evidence."""
    from pdc.applicability import WAIVED

    applicable = _applicable(env, site, catalog, decisions)
    results = audit_config(site.id, running_config, intended(env, site, catalog), list(applicable))
    return [ItemResult(r.control, r.device, "running-config",
                       Status.PASS if r.passed else Status.WAIVED if applicable[r.control] == WAIVED else Status.FAIL,
                       list(r.observed) + list(r.problems), "; ".join(r.problems))
            for r in results]


def unreachable_items(env: Environment, site: Site, catalog: Catalog, decisions, reason: str) -> list[ItemResult]:
    """A device the audit could not read: each applicable control is an error, never a pass."""
    return [ItemResult(cid, site.id, "running-config", Status.ERROR, [], reason)
            for cid in _applicable(env, site, catalog, decisions)]


WAN_SYSTEM = "wan"


def device_info(env: Environment, site: Site) -> HostInfo:
    """A switch as the report lists it: under the WAN, at the level pdc.applicability gives it."""
    from pdc.applicability import wan_target

    return HostInfo(name=site.id, system=WAN_SYSTEM, system_name="WAN switches", level=wan_target(env, site).level,
                    zone=site.tier, os=site.platform, kind="wan")
