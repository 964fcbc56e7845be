"""Secrets pdc did not set (an old type-9 user, a type-7 password, a community, SNMPv3 keys, a TACACS
key), seeded on emulated devices over SSH, appear in no output: not in what backup, diff, verify
and push print, not in their reports, not in the session logs, not in the backups."""

from __future__ import annotations

import secrets
import string
from pathlib import Path

import pytest

from pdc.wan import connect, platforms
from pdc.wan.credentials import load
from pdc.wan.redact import MARK
from tests.integration.wan.conftest import ENV, pdc, report

pytestmark = pytest.mark.lab

SEEDED = ("dc", "nam-sach", "nam-sach-01")
CISCO64 = "./" + string.digits + string.ascii_uppercase + string.ascii_lowercase


def _foreign() -> dict[str, str]:
    """Fresh values each run, in the shapes devices really hold."""
    salt = "".join(secrets.choice(CISCO64) for _ in range(14))
    digest = "".join(secrets.choice(CISCO64) for _ in range(43))
    return {
        "type9": f"$9${salt}${digest}",
        "type7": "08" + secrets.token_hex(8).upper(),
        "community": "comm-" + secrets.token_urlsafe(9),
        "snmp_auth": "auth-" + secrets.token_urlsafe(9),
        "snmp_priv": "priv-" + secrets.token_urlsafe(9),
        "tacacs": "tac-" + secrets.token_urlsafe(9),
    }


def _seed(lab_env, values: dict[str, str]) -> None:
    lines = [
        f"username olduser privilege 15 secret 9 {values['type9']}",
        f"username legacy password 7 {values['type7']}",
        f"snmp-server community {values['community']} RO",
        f"snmp-server user spy SPYGRP v3 auth sha {values['snmp_auth']} priv aes 128 {values['snmp_priv']}",
        f"tacacs-server key {values['tacacs']}",
    ]
    creds = load(lab_env)
    for site_id, target in connect.targets(lab_env, [lab_env.site(s) for s in SEEDED]).items():
        conn = connect.connect(target, creds)
        try:
            conn.send_config_set(lines, error_pattern=platforms.driver("cisco_ios").error_pattern)
            conn.save_config()  # old secrets a device really holds are saved ones
            running = connect.running_config(conn)
        finally:
            conn.disconnect()
        for value in values.values():
            assert value in running, (site_id, value)  # the seed took


def test_no_foreign_secret_reaches_any_output(fresh_wan, lab_env, tmp_path):
    values = _foreign()
    _seed(lab_env, values)
    env = {"PDC_WAN_BACKUPS": str(tmp_path / "backups")}
    runs = [
        pdc("wan", "backup", ENV(lab_env), env=env),
        pdc("wan", "diff", ENV(lab_env), "--report", str(tmp_path / "diff.json"), env=env),
        pdc("wan", "verify", ENV(lab_env), "--report", str(tmp_path / "verify.json"), env=env),
        pdc("wan", "push", ENV(lab_env), "--limit", ",".join(SEEDED), "--report", str(tmp_path / "dry.json"),
            env=env),
        pdc("wan", "push", ENV(lab_env), "--apply", "--yes", "--report", str(tmp_path / "push.json"), env=env),
    ]
    assert [r.returncode for r in runs] == [0, 2, 1, 0, 0], [r.stderr[-1500:] for r in runs]
    pushed = report(tmp_path / "push.json")
    assert pushed["summary"] == {"ok": len(lab_env.sites)}

    diffs = report(tmp_path / "diff.json")["devices"]
    remediation = "".join(d["details"].get("remediation", "") for d in diffs if d["site"] in SEEDED)
    assert f"no snmp-server community {MARK}" in remediation  # the foreign lines were seen, and redacted
    backups = sorted((tmp_path / "backups").rglob("*.cfg"))
    assert any("tacacs-server key " + MARK in p.read_text() for p in backups)
    logs = sorted(Path(pushed["sessions"]).glob("*.log"))
    # one session log per device, and one of the new session that proved the login and confirmed the change
    assert {p.stem for p in logs if not p.stem.endswith(".confirm")} == {s.id for s in lab_env.sites}
    assert {p.stem for p in logs if p.stem.endswith(".confirm")} == {f"{s.id}.confirm" for s in lab_env.sites}

    outputs = {f"{r.args[1:3]} output": r.stdout + r.stderr for r in runs}
    outputs.update({str(p): p.read_text(errors="replace") for p in [*backups, *logs, *tmp_path.glob("*.json")]})
    leaks = [(where, name) for where, text in outputs.items() for name, value in values.items() if value in text]
    assert leaks == []
    # pdc's own secrets stay out too
    own = {k: fresh_wan[k] for k in ("password", "secret", "snmp_auth", "snmp_priv")}
    assert [(w, k) for w, text in outputs.items() for k, v in own.items() if v in text] == []
    for path in [*backups, *logs]:
        assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
