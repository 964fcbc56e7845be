"""No stray literals: a port, CIDR or server address the model holds is never typed again in the
roles, the WAN templates or the compliance checks; they get it from the flows (pdc.flows).

The model's values are collected from the loaded `lab` and `haiduong` environments: every
service port (and the package mirror's), every network a flow admits, every server address, the
address plan, the management networks and every zone subnet. A value matches only as a whole
token (not inside 10.20.0.10, v1.2 or 0640). Left out on purpose: 0.0.0.0/0 (as "anywhere", the
default route and unbound's "refuse everything" it is a fact of IPv4, not of the model) and
loopback networks (the lab's 127.0.0.1/32 management entry is also every daemon's localhost).
"""

from __future__ import annotations

import re
from ipaddress import IPv4Network
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pdc import paths
from pdc.environment import Environment, load_environment
from pdc.flows import flows

SCANNED = [paths.ROLES, paths.NETWORK / "templates", paths.ROOT / "tests" / "compliance"]
TEXT_SUFFIXES = {".j2", ".yml", ".yaml", ".py", ".cfg", ".conf", ".sh", ".txt"}
# a number, a dotted quad or a CIDR, standing alone (not part of a longer number, address or word)
TOKEN = re.compile(r"(?<![\w.])\d+(?:\.\d+){0,3}(?:/\d{1,2})?(?![\w.]|/\d)")


def model_ports(env: Environment) -> set[str]:
    ports = {p for f in flows(env).all for p in f.ports}
    mirror = env.settings.shared_services.package_mirror
    ports |= {urlsplit(url).port for url in (mirror.debian, mirror.security)} - {None}
    return {str(p) for p in ports}


def model_networks(env: Environment) -> set[str]:
    nets: set[IPv4Network] = set(env.management_cidrs)
    nets |= {n for _, n in env.address_plan if isinstance(n, IPv4Network)}
    nets |= {n for s in env.systems for n in env.zone_subnets(s).values()}
    if env.settings.lab and env.settings.lab.gateway_network:
        nets.add(env.settings.lab.gateway_network)
    view = flows(env)
    nets |= {n for f in view.all for n in f.networks}
    out = {str(a) for f in view.all for s in f.servers if s.host is not None for a in [s.address]}
    for n in nets:
        if n.prefixlen == 0 or n.is_loopback:
            continue
        out.add(str(n))
        if n.prefixlen < 32:
            out.add(str(n.network_address))  # an ACL line writes address and wildcard apart
    return out


@pytest.fixture(scope="module")
def held() -> set[str]:
    envs = [load_environment(name) for name in ("lab", "haiduong")]
    return set().union(*(model_ports(e) | model_networks(e) for e in envs))


def stray(text: str, held: set[str]) -> list[str]:
    return [m.group(0) for m in TOKEN.finditer(text) if m.group(0) in held]


def test_the_model_holds_what_the_scan_looks_for(held):
    lab = load_environment("lab")
    services = lab.settings.services
    for port in (services.syslog.ports[0], services.postgresql.ports[0], services.ssh.ports[0]):
        assert str(port) in held
    assert str(lab.address_plan.wan_management) in held and str(lab.address_plan.tenants) in held
    assert str(flows(lab).servers("ntp")[0].address) in held


def test_the_scan_finds_a_planted_literal_and_ignores_look_alikes(held):
    lab = load_environment("lab")
    port, net = str(lab.settings.services.syslog.ports[0]), str(lab.address_plan.wan_management)
    assert stray(f'input(type="imudp" port="{port}")', held) == [port]
    assert stray(f"allow {net}", held) == [net]
    look_alikes = f"TLSv1.{port} {port}0 1{port} 0{port}.1 {net}0 x{port} mode 0640 {port}.5"
    assert stray(look_alikes, held) == []


def _files() -> list[Path]:
    return sorted(p for root in SCANNED for p in root.rglob("*")
                  if p.is_file() and (p.suffix in TEXT_SUFFIXES or p.parent.name == "templates"))


def test_no_port_or_cidr_of_the_model_is_typed_in_roles_templates_or_checks(held):
    assert len(_files()) > 50
    found = []
    for path in _files():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for token in stray(line, held):
                found.append(f"{path.relative_to(paths.ROOT)}:{number}: {token}: {line.strip()[:120]}")
    assert not found, "values the environment holds, typed again (take them from the flows):\n" + "\n".join(found)

