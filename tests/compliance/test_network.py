"""Host firewall (the loaded nftables ruleset), listening sockets, time sync and the NTP server."""

from __future__ import annotations

import re
from ipaddress import ip_address, ip_network

import pytest

from pdc.audit import nft
from pdc.audit.facts import CHRONY_SOURCES, NFT_TEXT
from pdc.audit.suite import (
    Item,
    active_lines,
    covered,
    environment_networks,
    host_vars,
    items,
    management_cidrs,
    ntp_servers,
    soc_collector,
    zone_subnet,
)

SSH_PORT = 22


def _ruleset(facts):
    out = facts.run(NFT_TEXT)
    assert out.ok, f"nft cannot list the ruleset: {out.brief()}"
    return facts.nft()


def _input(facts, evidence):
    chains = nft.hooked(_ruleset(facts), "input")
    evidence("input chains: " + ("; ".join(f"{c.family} {c.table} {c.name} policy {c.policy}" for c in chains)
                                 or "none"))
    assert chains, "no nftables input chain is loaded"
    return chains


def role_services(t) -> list[tuple[str, str, int, list]]:
    """(role, proto, port, allowed sources or None for any) of the host's service roles, from the model."""
    env, out = t.env, []
    everyone = environment_networks(t)
    soc_addresses, soc_port = soc_collector(t)
    for role in t.roles:
        if role == "nginx":
            out += [(role, "tcp", 443, None), (role, "tcp", 80, None)]
        elif role == "postgresql":
            app = zone_subnet(t, "app")
            out.append((role, "tcp", 5432, [app] if app else []))
        elif role == "soc_collector":
            out.append((role, "tcp", soc_port, everyone))
        elif role == "ntp_server":
            out.append((role, "udp", 123, everyone))
        elif role == "dns_server":
            out += [(role, "udp", 53, everyone), (role, "tcp", 53, everyone)]
    dmz = zone_subnet(t, "dmz") if t.model is not None and t.model.zone == "app" else None
    if dmz:  # the system's DMZ proxies reach its app tier
        out += [("app zone", "tcp", port, [dmz]) for port in host_vars(t)["pdc_app_ports"]]
    del env
    return out


@pytest.mark.control("PDC-FW-001")
@items(lambda t: [Item("nftables enabled"), Item("nftables active"), Item("ruleset loaded"),
                  Item("ufw absent"), Item("iptables-persistent absent")])
def test_nftables_only_firewall(target, item, facts, evidence):
    if item.id.startswith("nftables"):
        unit = facts.unit("nftables.service")
        evidence(f"nftables.service {unit.get('UnitFileState')} {unit.get('ActiveState')}")
        if item.id.endswith("enabled"):
            assert unit.get("UnitFileState") == "enabled", "nftables.service is not enabled at boot"
        else:
            assert unit.get("ActiveState") == "active", "nftables.service is not active"
    elif item.id == "ruleset loaded":
        _input(facts, evidence)
    else:
        package = item.id.split()[0]
        present = package in facts.packages()
        evidence(f"{package} {'installed' if present else 'not installed'}")
        assert not present, f"{package} is installed next to nftables"


@pytest.mark.control("PDC-FW-002")
@items(lambda t: [Item("input policy drop"), Item("loopback accepted"), Item("established accepted")])
def test_default_deny_inbound(target, item, facts, evidence):
    chains = _input(facts, evidence)
    if item.id == "input policy drop":
        bad = [f"{c.table} {c.name} policy {c.policy}" for c in chains if c.policy != "drop"]
        assert not bad, f"input chains that accept by default: {bad}"
        return
    rules = [r for c in chains for r in c.rules]
    if item.id == "loopback accepted":
        hit = [r for r in rules if r.iif == "lo" and r.verdict == "accept"]
        evidence(f"{len(hit)} loopback accept rule(s)")
        assert hit, "loopback traffic is not accepted"
    else:
        hit = [r for r in rules if {"established", "related"} <= r.ct_states and r.verdict == "accept"]
        evidence(f"{len(hit)} established/related accept rule(s)")
        assert hit, "established and related traffic is not accepted"


def _accepting(chains, proto, port):
    return [r for c in chains for r in c.rules
            if r.verdict == "accept" and port in r.dports and (not r.protos or proto in r.protos)]


@pytest.mark.control("PDC-FW-003")
@items(lambda t: [Item("ssh accepted from management"), Item("ssh from nowhere else")])
def test_ssh_only_from_management(target, item, facts, evidence):
    chains = _input(facts, evidence)
    rules = _accepting(chains, "tcp", SSH_PORT)
    allowed = management_cidrs(target)
    evidence("tcp/22 accept rules: " + ("; ".join(r.describe() for r in rules) or "none"))
    evidence("management networks (environment): " + ", ".join(map(str, allowed)))
    if item.id == "ssh accepted from management":
        sources = [n for r in rules for n in (r.saddr or [])]
        missing = [m for m in allowed if not any(m.subnet_of(s) for s in sources)]
        assert rules and not missing, f"SSH is not accepted from management networks {missing}"
    else:
        open_rules = [r.describe() for r in rules if r.saddr is None or not all(covered(n, allowed) for n in r.saddr)]
        assert not open_rules, f"SSH is accepted from outside the management networks: {open_rules}"


def _service_items(t):
    services = role_services(t)
    out = [Item(f"{role} {proto}/{port}", (proto, port, sources)) for role, proto, port, sources in services]
    out.append(Item("no other ports accepted", services))
    out.append(Item("no unexpected listening TCP service", services))
    return out


@pytest.mark.control("PDC-FW-004")
@items(_service_items)
def test_only_role_services_reachable(target, item, facts, evidence):
    if item.id == "no unexpected listening TCP service":
        expected = {SSH_PORT} | {port for _, proto, port, _ in item.value if proto == "tcp"}
        exposed = [s for s in facts.listening() if s["proto"] == "tcp" and not ip_address(
            s["address"] if s["address"] not in ("*", "") else "0.0.0.0").is_loopback]
        evidence("listening TCP: " + ", ".join(f"{s['address']}:{s['port']} {s['process']}" for s in exposed))
        unexpected = [f"{s['address']}:{s['port']} ({s['process']})" for s in exposed if s["port"] not in expected]
        assert not unexpected, f"services listening beyond the host's roles: {unexpected}"
        return
    chains = _input(facts, evidence)
    if item.id == "no other ports accepted":
        expected = {("tcp", SSH_PORT)} | {(proto, port) for _, proto, port, _ in item.value}
        accepted = {(p or "any", port) for c in chains for r in c.rules if r.verdict == "accept"
                    for port in r.dports for p in (r.protos or {""})}
        extra = sorted(f"{p}/{port}" for p, port in accepted if (p, port) not in expected)
        evidence("accepted ports: " + ", ".join(sorted(f"{p}/{port}" for p, port in accepted)))
        assert not extra, f"ports accepted that no role of this host needs: {extra}"
        return
    proto, port, sources = item.value
    rules = _accepting(chains, proto, port)
    evidence(f"{proto}/{port} rules: " + ("; ".join(r.describe() for r in rules) or "none"))
    assert rules, f"{proto}/{port} is not accepted"
    if sources is not None:
        evidence("allowed from (environment): " + ", ".join(map(str, sources)))
        wide = [r.describe() for r in rules if r.saddr is None or not all(covered(n, sources) for n in r.saddr)]
        assert not wide, f"{proto}/{port} is open beyond {', '.join(map(str, sources))}: {wide}"


@pytest.mark.control("PDC-FW-005")
def test_forward_policy(target, facts, evidence):
    chains = nft.hooked(_ruleset(facts), "forward")
    routes = target.model is not None and target.model.group.ip_forwarding
    evidence("forward chains: " + ("; ".join(f"{c.table} {c.name} policy {c.policy}" for c in chains) or "none")
             + f"; host routes: {routes}")
    if routes:
        return
    assert chains and all(c.policy == "drop" for c in chains), "forwarded traffic is not dropped"


# ------------------------------------------------------------------ time


@pytest.mark.control("PDC-TIM-001")
@items(lambda t: [Item("chrony active"), Item("systemd-timesyncd not running")])
def test_single_time_daemon(target, item, facts, evidence):
    unit = facts.unit("chrony.service" if item.id.startswith("chrony") else "systemd-timesyncd.service")
    evidence(f"{unit.get('Id')}: {unit.get('LoadState')} {unit.get('ActiveState')} {unit.get('UnitFileState')}")
    if item.id.startswith("chrony"):
        assert unit.get("ActiveState") == "active", "chrony is not running"
    else:
        assert unit.get("ActiveState") != "active", "systemd-timesyncd runs next to chrony"


def _ntp_items(t):
    if t.has_role("ntp_server") and not ntp_servers(t):
        return [Item("sources", na="this host is the environment's only NTP server; its upstream is not "
                                   "in the environment model"), Item("chronyd user")]
    return [Item(f"source {a}", str(a)) for a in ntp_servers(t)] + [Item("no other sources"),
                                                                     Item("chronyd user")]


@pytest.mark.control("PDC-TIM-002")
@items(_ntp_items)
def test_chrony_sources(target, item, facts, evidence):
    if item.id == "chronyd user":
        user = facts.run("ps -o user= -C chronyd").stdout.split()
        evidence(f"chronyd runs as {','.join(user) or '(not running)'}")
        assert user and set(user) == {"_chrony"}, "chronyd does not run as _chrony"
        return
    out = facts.run(CHRONY_SOURCES)
    assert out.ok, f"chronyc cannot list sources: {out.brief()}"
    sources = [line.split(",")[2] for line in out.stdout.splitlines() if line.count(",") > 3]
    evidence(f"chronyc sources: {', '.join(sources) or '(none)'}")
    expected = [str(a) for a in ntp_servers(target)]
    evidence(f"environment NTP: {', '.join(expected)}")
    if item.id == "no other sources":
        assert set(sources) <= set(expected), f"chrony uses sources outside the environment: " \
                                              f"{sorted(set(sources) - set(expected))}"
    else:
        assert item.value in sources, f"chrony does not use the environment NTP server {item.value}"


@pytest.mark.control("PDC-NTP-001")
@items(lambda t: [Item(f"serves {n}", n) for n in environment_networks(t)]
       + [Item("serves nothing else"), Item("chronyd answers clients")])
def test_ntp_server_access(target, item, facts, evidence):
    if item.id == "chronyd answers clients":
        out = facts.run("chronyc -n serverstats")
        evidence(out.brief(200))
        assert out.ok and "NTP packets received" in out.stdout, "chronyd does not serve NTP"
        return
    conf = facts.run("cat /etc/chrony/chrony.conf /etc/chrony/conf.d/*.conf 2>/dev/null").stdout
    allows = []
    for line in active_lines(conf):
        m = re.match(r"allow\s+(\S+)", line)
        if m:
            allows.append(ip_network(m.group(1), strict=False))
        elif line.strip() == "allow":
            allows.append(ip_network("0.0.0.0/0"))
    evidence(f"chrony allow: {', '.join(map(str, allows)) or '(none)'}")
    if item.id == "serves nothing else":
        wide = [a for a in allows if not covered(a, environment_networks(target) + [
            target.env.address_plan.tenants])]
        assert not wide, f"chrony serves networks outside the environment: {wide}"
    else:
        assert any(item.value.subnet_of(a) for a in allows), f"chrony does not serve {item.value}"
