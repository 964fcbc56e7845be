"""auditd (loaded rules, not just files), rsyslog forwarding to the SOC, and the SOC collector."""

from __future__ import annotations

import re
import shlex

import pytest

from pdc.audit import expected
from pdc.audit.facts import AUDIT_RULES, AUDIT_STATUS, RSYSLOG_CONF
from pdc.audit.policy import norm
from pdc.audit.suite import Item, active_lines, check_unit_state, items, settings, soc_collector

RULES_FILE = "/etc/audit/rules.d/50-pdc.rules"


def _audit_status(facts, evidence) -> dict[str, str]:
    out = facts.run(AUDIT_STATUS)
    evidence(out.brief(300))
    assert out.ok, "auditctl -s fails: the audit subsystem is not reachable"
    return dict(line.split(" ", 1) for line in out.stdout.splitlines() if " " in line)


@pytest.mark.control("PDC-AUD-001")
@items(lambda t: [Item("auditd enabled"), Item("auditd active"), Item("kernel auditing on")])
def test_auditd_running(target, item, facts, evidence):
    if item.id == "kernel auditing on":
        status = _audit_status(facts, evidence)
        assert status.get("enabled") in ("1", "2"), f"kernel auditing is {status.get('enabled')}"
        return
    check_unit_state(facts, evidence, "auditd", item.id.endswith("enabled"))


def _auditd_items(t):
    """keep_logs (CIS 6.2.2.2) plus the catalog's sizes and space actions for PDC-AUD-002."""
    return [Item("max_log_file_action", "keep_logs")] + [
        Item(k, str(norm("PDC-AUD-002", k)).lower())
        for k in ("max_log_file", "num_logs", "space_left_action", "admin_space_left_action", "disk_full_action")]


@pytest.mark.control("PDC-AUD-002")
@items(_auditd_items)
def test_auditd_retention(target, item, facts, evidence):
    value = settings(facts.file("/etc/audit/auditd.conf").stdout, "=").get(item.id)
    evidence(f"auditd.conf {item.id} = {value}")
    assert (value or "").lower() == item.value, f"{item.id} = {value}, expected {item.value}"


def _rule_keys(text: str) -> list[str]:
    return list(dict.fromkeys(m.group(1) for line in active_lines(text)
                              if (m := re.search(r"(?:-k\s+|key=)(\S+)", line))))


@pytest.mark.control("PDC-AUD-003")
@items(lambda t: [Item("rules file present"), Item("every rule key is loaded")])
def test_audit_rules_loaded(target, item, facts, evidence):
    text = facts.file(RULES_FILE)
    keys = _rule_keys(text.stdout) if text.ok else []
    if item.id == "rules file present":
        evidence(f"{RULES_FILE}: {len(keys)} rule keys: {', '.join(keys)}" if text.ok else text.brief())
        assert text.ok and keys, f"{RULES_FILE} is missing or has no keyed rules"
        return
    loaded_out = facts.run(AUDIT_RULES)
    loaded = set(_rule_keys(loaded_out.stdout))
    evidence(f"auditctl -l: {len(loaded_out.stdout.splitlines())} rules, keys: {', '.join(sorted(loaded))}")
    assert loaded_out.ok and "No rules" not in loaded_out.stdout, "no audit rules are loaded in the kernel"
    missing = [k for k in keys if k not in loaded]
    assert keys and not missing, f"rules written but not loaded (augenrules --load missing?): {missing}"


@pytest.mark.control("PDC-AUD-004")
def test_audit_immutable(target, facts, evidence):
    status = _audit_status(facts, evidence)
    assert status.get("enabled") == "2", f"audit configuration is mutable (enabled {status.get('enabled')})"


@pytest.mark.control("PDC-AUD-005")
def test_audit_early_boot(target, facts, evidence):
    cmdline = facts.run("cat /proc/cmdline").stdout.strip()
    evidence(f"/proc/cmdline: {cmdline}")
    assert "audit=1" in cmdline.split(), "the kernel was booted without audit=1"
    assert re.search(r"audit_backlog_limit=(\d+)", cmdline), "no audit_backlog_limit on the command line"


# ------------------------------------------------------------------ logging



@pytest.mark.control("PDC-LOG-001")
@items(lambda t: [Item("rsyslog enabled"), Item("rsyslog active"), Item("ForwardToSyslog", "yes"),
                  Item("Storage", "persistent"), Item("Compress", "yes"), Item("rsyslog logs auth and authpriv")])
def test_rsyslog_and_journald(target, item, facts, evidence):
    if item.id.startswith("rsyslog logs"):
        rules = [line for line in active_lines(facts.run(RSYSLOG_CONF).stdout)
                 if re.match(r"^[a-z0-9*,.;!=]*auth(priv)?[a-z0-9*,.;!=]*\s", line)]
        evidence("\n".join(rules) or "no rule for auth/authpriv")
        assert rules, "rsyslog has no rule for the auth and authpriv facilities"
        return
    if item.id.startswith("rsyslog"):
        check_unit_state(facts, evidence, "rsyslog", item.id.endswith("enabled"))
        return
    effective = settings(facts.run("systemd-analyze cat-config systemd/journald.conf").stdout, "=")
    evidence(f"journald {item.id}={effective.get(item.id)}")
    assert effective.get(item.id) == item.value, f"journald {item.id}={effective.get(item.id)}, expected {item.value}"


def forward_protocol(t) -> str:
    """Hosts forward over TCP (queued) when services.syslog takes it, else UDP."""
    return "tcp" if "tcp" in t.env.settings.services.syslog.protocols else "udp"


def _forward_items(t):
    addresses, port = soc_collector(t)
    if t.model is not None and t.model.address in addresses:
        na = "this host is the SOC collector"
        return [Item("forward action", na=na), Item("disk-assisted queue", na=na)]
    proto = forward_protocol(t)
    out = [Item(f"forward to {a}:{port}/{proto}", (str(a), port)) for a in addresses]
    out += [Item("disk-assisted queue"), Item("rsyslog config valid")]
    out += [Item(f"connected to {a}:{port}", (str(a), port)) for a in addresses]
    return out


def _forward_actions(text: str) -> list[str]:
    """Whole action(type="omfwd" ...) statements, joined across lines."""
    flat = " ".join(active_lines(text))
    return re.findall(r'action\s*\(\s*type\s*=\s*"omfwd"[^)]*\)', flat)


@pytest.mark.control("PDC-LOG-002")
@items(_forward_items)
def test_forward_to_soc(target, item, facts, evidence):
    if item.id == "rsyslog config valid":
        out = facts.run("rsyslogd -N1")
        evidence(out.brief(300))
        assert out.ok, "rsyslogd rejects its configuration"
        return
    if item.id.startswith("connected"):
        address, port = item.value
        out = facts.run("ss -H -tnp state established")
        hits = [line for line in out.stdout.splitlines() if f"{address}:{port}" in line]
        evidence("\n".join(hits) or f"no established connection to {address}:{port}")
        assert any("rsyslogd" in line for line in hits), (
            f"the running rsyslogd is not connected to the SOC collector {address}:{port}")
        return
    actions = _forward_actions(facts.run(RSYSLOG_CONF).stdout)
    evidence("\n".join(actions) or "no omfwd action")
    if item.id == "disk-assisted queue":
        assert any('queue.type="LinkedList"' in a.replace(" ", "") and "queue.filename=" in a.replace(" ", "")
                   for a in actions), "the SOC forward has no disk-assisted queue (LinkedList + queue.filename)"
        return
    address, port = item.value
    squash = [a.replace(" ", "") for a in actions]
    proto = forward_protocol(target)
    assert any(f'target="{address}"' in a and f'port="{port}"' in a and f'protocol="{proto}"' in a for a in squash), (
        f"no {proto} forward to the SOC collector {address}:{port}")


def _log_items(t):
    is_collector = t.model is not None and t.has_role("soc_collector")
    return [Item("FileCreateMode 0640"),
            Item("no remote log input", na="the SOC collector receives remote logs" if is_collector else None)]


@pytest.mark.control("PDC-LOG-003")
@items(_log_items)
def test_log_file_mode_and_no_input(target, item, facts, evidence):
    conf = facts.run(RSYSLOG_CONF).stdout
    if item.id.startswith("FileCreateMode"):
        modes = re.findall(r'(?:\$FileCreateMode\s+|FileCreateMode\s*=\s*")(\d+)', conf)
        evidence(f"FileCreateMode: {', '.join(modes) or '(default 0644)'}")
        assert modes and modes[-1] in ("0640", "0600"), "rsyslog creates log files readable by everyone"
        return
    inputs = [line for line in active_lines(conf) if re.search(r"imtcp|imudp|imrelp", line)]
    listening = [s for s in facts.listening() if s["process"] == "rsyslogd"]
    evidence("\n".join(inputs) or "no network input module")
    evidence("rsyslogd sockets: " + (", ".join(f"{s['proto']} {s['port']}" for s in listening) or "none"))
    assert not inputs and not listening, "this host accepts remote logs"


def _collector_items(t):
    """One listener per protocol and port the syslog flows give this host (hosts send TCP, switches UDP)."""
    listeners = [(e.protocol, e.port) for e in expected.inbound(t.env, t.model) if e.service == "syslog"]
    return [Item(f"listening {p}/{port}", (p, port)) for p, port in listeners] + [Item("one directory per host")]


@pytest.mark.control("PDC-SOC-001")
@items(_collector_items)
def test_soc_collector_receives(target, item, facts, evidence):
    if item.id.startswith("listening"):
        proto, port = item.value
        sockets = [s for s in facts.listening() if s["process"] == "rsyslogd" and s["proto"] == proto]
        evidence(f"rsyslogd {proto}: " + (", ".join(f"{s['address']}:{s['port']}" for s in sockets) or "none"))
        assert any(s["port"] == port for s in sockets), f"rsyslog does not listen on {proto}/{port}"
        return
    out = facts.run("ls -1 /var/log/remote/")
    dirs = out.stdout.split()
    evidence(f"/var/log/remote: {', '.join(dirs) or '(empty)'}")
    senders = [h.name for h in target.env.hosts if h.name != target.name] + [
        site.id for site in target.env.sites] if target.env else []  # the switches log here too
    assert out.ok and dirs, "no per-host log directories under /var/log/remote"
    unknown = [d for d in dirs if senders and d not in senders and d != target.name]
    assert not unknown, f"directories not named after environment hosts: {unknown}"
    got = facts.run("ls -1 " + " ".join(shlex.quote(f"/var/log/remote/{d}/syslog.log") for d in dirs))
    assert got.ok, f"per-host syslog.log missing: {got.stderr.strip()}"
