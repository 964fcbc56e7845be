"""site.yml on fresh Debian 12 and 13 containers: convergence, idempotence, check mode, and the
live state of every daemon it configured (not just the files it wrote)."""

from __future__ import annotations

import re
import socket
import ssl
import time
import uuid

import pytest

from pdc.audit.policy import norm
from pdc.flows import flows

pytestmark = pytest.mark.lab


def test_site_converges_on_debian_12_and_13(hardlab):
    assert hardlab.first.rc == 0, hardlab.first.tail()
    recap = hardlab.first.recap
    assert set(recap) == {h.name for h in hardlab.env.hosts if h.group.lab_kind == "container"}
    assert {hardlab.env.host(h).group.os for h in recap} == {"debian12", "debian13"}
    assert all(r["failed"] == 0 and r["unreachable"] == 0 for r in recap.values()), recap


def test_second_run_changes_nothing(hardlab):
    second = hardlab.playbook("site.yml")
    assert second.rc == 0, second.tail()
    changed = {h: r["changed"] for h, r in second.recap.items() if r["changed"]}
    assert not changed, (changed, second.output[-6000:])


def test_check_mode_on_hardened_hosts_reports_no_changes(hardlab):
    check = hardlab.playbook("site.yml", "--check", "--diff")
    assert check.rc == 0, check.tail()
    assert all(r["changed"] == 0 for r in check.recap.values()), check.output[-6000:]


def test_tags_select_one_control(hardlab):
    run = hardlab.playbook("harden.yml", "--tags", "PDC-SSH-003", "--limit", "tthc-web-01",
                           "--list-tasks")
    assert run.rc == 0, run.output
    # argument-spec validation is tagged `always` and runs under any tag; every other task is PDC-SSH-003's
    tasks = [line for line in run.output.splitlines()
             if line.startswith("      ") and "TAGS:" in line and "TAGS: [always]" not in line]
    assert tasks and all("PDC-SSH-003" in line.split("TAGS:")[1] for line in tasks), tasks


def _hosts(hardlab):
    return [h.name for h in hardlab.env.hosts if h.group.lab_kind == "container"]


def test_admin_key_login_works_and_password_or_root_is_refused(hardlab):
    for host in _hosts(hardlab):
        assert hardlab.ssh(host, "true").returncode == 0, host
        password = hardlab.ssh(host, "true", extra=("-o", "PubkeyAuthentication=no",
                                                    "-o", "PreferredAuthentications=password,keyboard-interactive"))
        assert password.returncode == 255 and "Permission denied (publickey)" in password.stderr, (host, password)
        root = hardlab.ssh(host, "true", user="root")
        assert root.returncode == 255 and "Permission denied" in root.stderr, (host, root)
        effective = hardlab.sudo(host, "sshd -T -C user=pdcadmin,host=x,addr=10.99.2.1").stdout
        for line in ("permitrootlogin no", "passwordauthentication no", "kbdinteractiveauthentication no",
                     f"maxauthtries {norm('PDC-SSH-006', 'max_auth_tries')}", "allowgroups sudo"):
            assert re.search(rf"(?m)^{line}", effective), (host, line)


def test_live_firewall_is_default_deny_with_ssh_from_management_only(hardlab):
    """The loaded ruleset, not /etc/nftables.conf: each container has its own netns and filters in it."""
    for host in _hosts(hardlab):
        ruleset = hardlab.sudo(host, "nft list table inet pdc")
        assert ruleset.returncode == 0, (host, ruleset.stderr)
        assert re.search(r"hook input priority filter; policy drop;", ruleset.stdout), (host, ruleset.stdout)
        ssh_rules = [line.strip() for line in ruleset.stdout.splitlines() if "dport 22 " in line]
        assert ssh_rules and all("ip saddr" in rule for rule in ssh_rules), (host, ssh_rules)
        assert hardlab.sudo(host, "systemctl is-enabled nftables").stdout.strip() == "enabled", host


def test_chrony_syncs_to_the_environment_ntp(hardlab):
    servers = flows(hardlab.env).servers("ntp")
    ntp = [str(s.address) for s in servers]
    for host in _hosts(hardlab):
        if host in {s.name for s in servers}:
            continue
        sources = hardlab.ssh(host, "chronyc -n sources").stdout
        assert any(a in sources for a in ntp), (host, sources)
        config = hardlab.ssh(host, "grep -hE '^(pool|server|peer) ' /etc/chrony/chrony.conf /etc/chrony/sources.d/* "
                                   "/etc/chrony/conf.d/* 2>/dev/null").stdout
        assert config and not re.search(r"(?m)^pool ", config), (host, config)


def test_nginx_serves_modern_tls_with_security_headers(hardlab):
    web = hardlab.address("tthc-web-01")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((web, 443), timeout=10) as raw, ctx.wrap_socket(raw) as tls:
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
        tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        reply = b""
        while chunk := tls.recv(4096):
            reply += chunk
    head = reply.decode(errors="replace")
    assert head.startswith("HTTP/1.1 200"), head
    assert "Strict-Transport-Security" in head and "X-Content-Type-Options: nosniff" in head
    assert re.search(r"(?m)^Server: nginx\r?$", head), "server_tokens off"
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.check_hostname = False
    old.verify_mode = ssl.CERT_NONE
    old.maximum_version = ssl.TLSVersion.TLSv1_1
    old.minimum_version = ssl.TLSVersion.TLSv1
    with pytest.raises((ssl.SSLError, ConnectionError)), socket.create_connection((web, 443), timeout=10) as raw:
        old.wrap_socket(raw).do_handshake()


# A real PostgreSQL handshake from the host: SSLRequest, TLS, StartupMessage. The server answers
# 'R' (authentication request: pg_hba admits this network) or 'E' (refused), or nothing at all
# when a firewall drops the packets. Prints admitted / refused: <message> / unreachable.
PG_PROBE = r"""
import socket, ssl, struct, sys
try:
    s = socket.create_connection((sys.argv[1], 5432), timeout=5)
except OSError:
    print("unreachable"); sys.exit()
s.sendall(struct.pack("!ii", 8, 80877103))
assert s.recv(1) == b"S"
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(s)
body = b"user\0probe\0database\0probe\0\0"
t.sendall(struct.pack("!ii", 8 + len(body), 196608) + body)
reply = t.recv(4096)
print("admitted" if reply[:1] == b"R" else "refused: " + reply.decode(errors="replace"))
"""


def _pg_probe(hardlab, host: str, db: str) -> str:
    out = hardlab.ssh(host, f"python3 -c {_q(PG_PROBE)} {db}")
    assert out.returncode == 0, (host, out.stderr)
    return out.stdout.strip()


def _q(s: str) -> str:
    return "'" + s.replace("'", "'\"'\"'") + "'"


def test_app_zone_reaches_postgresql_and_other_zones_cannot(hardlab):
    """The db host's firewall (PDC-FW-004) lets only the app zone reach 5432, and pg_hba (PDC-DB-001)
    admits it; from every other zone the packets are dropped before PostgreSQL sees them."""
    db = hardlab.address("tthc-db-01")
    assert _pg_probe(hardlab, "tthc-app-01", db) == "admitted"
    for other in ("tthc-web-01", "soc-collector-01", "infra-svc-01"):
        assert _pg_probe(hardlab, other, db) == "unreachable", other


def test_postgresql_live_settings(hardlab):
    def show(setting: str) -> str:
        out = hardlab.sudo("tthc-db-01", f"cd / && runuser -u postgres -- psql -tAc 'SHOW {setting}'")
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    assert show("listen_addresses") == hardlab.address("tthc-db-01")
    assert show("password_encryption") == "scram-sha-256"
    assert show("log_connections") == "on" and show("log_disconnections") == "on"


def _arrived(hardlab, host: str, token: str, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        found = hardlab.sudo("soc-collector-01", f"grep -rl {token} /var/log/remote/{host}/ 2>/dev/null")
        if found.stdout.strip():
            return True
        time.sleep(2)
    return False


def test_every_host_logs_to_the_soc_collector(hardlab):
    token = f"pdc-test-{uuid.uuid4().hex[:10]}"
    senders = [h for h in _hosts(hardlab) if h != "soc-collector-01"]
    for host in senders:
        assert hardlab.ssh(host, f"logger -t pdc-test {token}").returncode == 0
    missing = [h for h in senders if not _arrived(hardlab, h, token, 60)]
    assert not missing, missing


def test_messages_sent_during_a_collector_outage_arrive_after_it_restarts(hardlab):
    token = f"pdc-outage-{uuid.uuid4().hex[:10]}"
    assert hardlab.sudo("soc-collector-01", "systemctl stop syslog.socket rsyslog.service").returncode == 0
    try:
        time.sleep(2)
        for i in range(3):
            hardlab.ssh("tthc-web-01", f"logger -t pdc-test {token}-{i}")
            time.sleep(1)
        assert not _arrived(hardlab, "tthc-web-01", token, 3)
    finally:
        assert hardlab.sudo("soc-collector-01", "systemctl start rsyslog").returncode == 0
    assert _arrived(hardlab, "tthc-web-01", f"{token}-2", 90)
    got = hardlab.sudo("soc-collector-01", f"grep -c {token} /var/log/remote/tthc-web-01/syslog.log").stdout
    assert int(got.strip() or 0) == 3, got
