"""Service roles: nginx (TLS and headers, probed live), PostgreSQL (the live server's settings),
DNS (real queries). Probes run on the host itself with python3 so that no route from the
auditing machine into the zone is needed."""

from __future__ import annotations

import json
import shlex
from ipaddress import ip_address, ip_network

import pytest

from pdc.audit.suite import Item, active_lines, covered, environment_networks, items, zone_subnet

TLS_PROBE = r"""
import json, ssl, socket, http.client, sys
addr = sys.argv[1]
out = {}
for name, version in (("TLSv1.1", ssl.TLSVersion.TLSv1_1), ("TLSv1.2", ssl.TLSVersion.TLSv1_2),
                      ("TLSv1.3", ssl.TLSVersion.TLSv1_3)):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
    try:
        ctx.set_ciphers("ALL:@SECLEVEL=0")
        ctx.minimum_version = ctx.maximum_version = version
        with socket.create_connection((addr, 443), timeout=5) as s, ctx.wrap_socket(s) as t:
            out[name] = t.cipher()[0]
    except Exception as e:
        out[name] = "refused: " + type(e).__name__
try:
    c = http.client.HTTPConnection(addr, 80, timeout=5); c.request("GET", "/"); r = c.getresponse()
    out["http"] = [r.status, r.getheader("Location")]
except Exception as e:
    out["http"] = [0, str(e)]
try:
    ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
    c = http.client.HTTPSConnection(addr, 443, timeout=5, context=ctx); c.request("GET", "/"); r = c.getresponse()
    out["headers"] = {k.lower(): v for k, v in r.getheaders()}
except Exception as e:
    out["headers"] = {"error": str(e)}
print(json.dumps(out))
"""


def _tls(target, facts):
    address = str(target.model.address) if target.model else "127.0.0.1"
    out = facts.run(f"python3 -c {shlex.quote(TLS_PROBE)} {address}")
    assert out.ok, f"the TLS probe failed: {out.brief()}"
    return json.loads(out.stdout)


@pytest.mark.control("PDC-WEB-001")
@items(lambda t: [Item("TLSv1.1 refused"), Item("TLSv1.2 accepted"), Item("TLSv1.3 accepted"),
                  Item("http redirects to https")])
def test_nginx_tls(target, item, facts, evidence):
    probe = _tls(target, facts)
    if item.id.startswith("TLS"):
        version = item.id.split()[0]
        evidence(f"{version} handshake: {probe[version]}")
        refused = probe[version].startswith("refused")
        assert refused if item.id.endswith("refused") else not refused, f"{version}: {probe[version]}"
    else:
        status, location = probe["http"]
        evidence(f"GET http:// -> {status} {location}")
        assert status in (301, 308) and str(location).startswith("https://"), "HTTP is not redirected to HTTPS"


HEADERS = ["strict-transport-security", "x-content-type-options", "x-frame-options"]


@pytest.mark.control("PDC-WEB-002")
@items(lambda t: [Item(h) for h in HEADERS] + [Item("server version hidden")])
def test_nginx_headers(target, item, facts, evidence):
    headers = _tls(target, facts)["headers"]
    if item.id == "server version hidden":
        evidence(f"Server: {headers.get('server')}")
        assert "/" not in headers.get("server", ""), f"nginx shows its version: {headers.get('server')}"
    else:
        evidence(f"{item.id}: {headers.get(item.id)}")
        assert headers.get(item.id), f"HTTPS responses lack {item.id}"


# ------------------------------------------------------------------ PostgreSQL (live server)


def _psql(facts, sql: str):
    out = facts.run(f"runuser -u postgres -- psql -XAtqc {shlex.quote(sql)}")
    assert out.ok, f"cannot query the live PostgreSQL server: {out.brief()}"
    return out.stdout.strip()


def _hba(facts):
    rows = _psql(facts, "select type, coalesce(address,''), coalesce(netmask,''), auth_method, "
                        "coalesce(error,'') from pg_hba_file_rules")
    return [line.split("|") for line in rows.splitlines()]


@pytest.mark.control("PDC-DB-001")
@items(lambda t: [Item("listen_addresses"), Item("listening sockets"), Item("clients from the app zone only")])
def test_postgresql_network(target, item, facts, evidence):
    local = {"localhost", "127.0.0.1", "::1"}
    own = str(target.model.address)
    if item.id == "listen_addresses":
        value = _psql(facts, "show listen_addresses")
        evidence(f"listen_addresses = {value}")
        addresses = {a.strip() for a in value.split(",")}
        assert own in addresses and addresses <= local | {own}, f"PostgreSQL listens on {value}, expected {own}"
    elif item.id == "listening sockets":
        sockets = [s for s in facts.listening() if s["port"] == 5432]
        evidence("port 5432: " + ", ".join(f"{s['address']} ({s['process']})" for s in sockets))
        wrong = [s["address"] for s in sockets if s["address"] not in local | {own}]
        assert sockets and not wrong, f"PostgreSQL sockets on {wrong}"
    else:
        app = zone_subnet(target, "app")
        rows = _hba(facts)
        evidence("pg_hba: " + "; ".join(" ".join(filter(None, r[:4])) for r in rows))
        evidence(f"app zone (environment): {app}")
        wide = []
        for kind, address, netmask, _method, _error in rows:
            if not kind.startswith("host") or address in ("", "samehost"):
                continue
            if address == "all" or address == "samenet" or address == "samenet":
                wide.append(address)
                continue
            net = ip_network(f"{address}/{netmask}" if netmask else address, strict=False)
            if not (net.subnet_of(app) if app and net.version == 4 else False) and not ip_address(
                    net.network_address).is_loopback:
                wide.append(str(net))
        assert not wide, f"pg_hba admits clients outside the app zone {app}: {wide}"


@pytest.mark.control("PDC-DB-002")
@items(lambda t: [Item("password_encryption"), Item("pg_hba methods")])
def test_postgresql_scram(target, item, facts, evidence):
    if item.id == "password_encryption":
        value = _psql(facts, "show password_encryption")
        evidence(f"password_encryption = {value}")
        assert value == "scram-sha-256", f"password_encryption is {value}"
    else:
        methods = {r[3] for r in _hba(facts)}
        evidence(f"pg_hba methods: {', '.join(sorted(methods))}")
        weak = sorted(methods - {"scram-sha-256", "peer"})
        assert not weak, f"weak pg_hba methods: {weak}"


@pytest.mark.control("PDC-DB-003")
@items(lambda t: [Item("log_connections"), Item("log_disconnections")])
def test_postgresql_connection_logging(target, item, facts, evidence):
    value = _psql(facts, f"show {item.id}")
    evidence(f"{item.id} = {value}")
    assert value == "on", f"{item.id} is {value}"


# ------------------------------------------------------------------ DNS (real queries to the server)

DNS_QUERY = r"""
import socket, struct, sys, random
server, name = sys.argv[1], sys.argv[2]
qid = random.randint(0, 65535)
q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + b"".join(
    bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3); s.sendto(q, (server, 53))
data, _ = s.recvfrom(4096)
rcode = data[3] & 15
an = struct.unpack(">H", data[6:8])[0]
i = len(q)
out = []
for _ in range(an):
    if data[i] & 0xC0 == 0xC0: i += 2
    else:
        while data[i]: i += data[i] + 1
        i += 1
    rtype, _, _, rdlen = struct.unpack(">HHIH", data[i:i + 10]); i += 10
    if rtype == 1: out.append(socket.inet_ntoa(data[i:i + 4]))
    i += rdlen
print(rcode, " ".join(out))
"""


def _dns_items(t):
    return [Item(f"{h.name}.{t.env.settings.shared_services.domain}", str(h.address)) for h in t.env.hosts] + [
        Item("access-control limited to the environment")]


@pytest.mark.control("PDC-DNS-001")
@items(_dns_items)
def test_dns_server(target, item, facts, evidence):
    if item.id.startswith("access-control"):
        conf = facts.run("unbound-checkconf -o access-control 2>/dev/null; "
                         "cat /etc/unbound/unbound.conf /etc/unbound/unbound.conf.d/*.conf 2>/dev/null").stdout
        rules = [line.split()[1:] for line in active_lines(conf) if line.startswith("access-control:")]
        evidence("access-control: " + "; ".join(" ".join(r) for r in rules))
        allowed = [ip_network(r[0], strict=False) for r in rules if len(r) > 1 and r[1].startswith("allow")]
        assert allowed, "unbound has no access-control allow line"
        networks = environment_networks(target) + [target.env.address_plan.tenants, ip_network("127.0.0.0/8")]
        wide = [str(a) for a in allowed if a.version == 4 and not covered(a, networks)]
        assert not wide, f"DNS answers networks outside the environment: {wide}"
        return
    out = facts.run(f"python3 -c {shlex.quote(DNS_QUERY)} {target.model.address} {item.id}")
    evidence(f"query {item.id} @{target.model.address}: {out.stdout.strip() or out.stderr.strip()[-200:]}")
    assert out.ok, "the DNS server did not answer"
    rcode, _, answers = out.stdout.strip().partition(" ")
    assert rcode == "0" and item.value in answers.split(), f"{item.id} resolves to {answers or 'nothing'} " \
                                                           f"(rcode {rcode}), expected {item.value}"
