"""Sessions to the switches: where each device is, and a Netmiko connection with safe settings.

In the lab (the environment's emulated WAN is up) a device is 127.0.0.1:<port> from the
lab's switches.json; in production it is the site's management address on port 22.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pdc.environment import Environment
from pdc.schema import Site
from pdc.wan.credentials import Credentials

# Netmiko checks nothing by default: every config line is checked against these.
ERROR_PATTERN = r"% Invalid|% Incomplete|% Ambiguous|No such command"
TIMEOUT = 10


@dataclass(frozen=True)
class Target:
    site: Site
    host: str
    port: int


def targets(env: Environment, sites: list[Site]) -> dict[str, Target]:
    from pdc.lab import switches

    lab = {}
    if switches.is_up(env):
        lab = json.loads(switches.Paths(env).credentials.read_text()).get("devices", {})
    out = {}
    for site in sites:
        if site.id in lab:
            out[site.id] = Target(site, lab[site.id]["host"], int(lab[site.id]["port"]))
        else:
            out[site.id] = Target(site, str(env.mgmt_ip(site)), 22)
    return out


def connect(target: Target, creds: Credentials, session_log: Path | None = None):
    """An enabled Netmiko session (raises on connection or login failure)."""
    from netmiko import ConnectHandler
    from netmiko.session_log import SessionLog

    log = None
    if session_log is not None:
        session_log.parent.mkdir(parents=True, exist_ok=True)
        secrets = creds.redactor().secrets
        log = SessionLog(file_name=str(session_log), no_log={f"s{i}": s for i, s in enumerate(secrets)},
                         record_writes=True)
    conn = ConnectHandler(
        device_type="cisco_ios", host=target.host, port=target.port, username=creds.username,
        password=creds.password, secret=creds.secret, conn_timeout=TIMEOUT, auth_timeout=TIMEOUT,
        banner_timeout=TIMEOUT, timeout=TIMEOUT * 3, session_log=log, allow_agent=False,
        use_keys=False, ssh_strict=False, system_host_keys=False, alt_host_keys=False)
    if not conn.check_enable_mode():
        conn.enable()
    return conn


def running_config(conn) -> str:
    return conn.send_command("show running-config", read_timeout=60)


def startup_config(conn) -> str:
    return conn.send_command("show startup-config", read_timeout=60)


def classify(exc: BaseException) -> str:
    """A short, secret-free reason for a connection failure."""
    from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException

    if isinstance(exc, NetmikoAuthenticationException):
        return "login rejected"
    if isinstance(exc, NetmikoTimeoutException):
        return "connection timed out or refused"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, OSError | EOFError):
        return f"connection failed: {type(exc).__name__}"
    return f"{type(exc).__name__}"
