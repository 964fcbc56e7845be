"""Sessions to the switches: where each device is, and a Netmiko connection with safe settings.

Where the devices are is the environment's choice (wan.pdc.yml, pdc.sources): ``model`` (the
default, production) is each site's management address on port 22; ``lab`` is the address the
running lab publishes (pdc.labcontract), and an error when that lab is not up.

Host keys are checked strictly against the environment's known_hosts file only (no system
keys, no agent, no key files, nothing added on the fly). Paramiko compares the key right after
the key exchange, before authentication: to a changed or unknown device the password is never
sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pdc import labcontract, sources
from pdc.environment import Environment
from pdc.schema import Site
from pdc.wan import known_hosts, platforms
from pdc.wan.credentials import Credentials

TIMEOUT = 10


# Statuses of a device refused for its host key; each counts as failed and is left untouched.
HOST_KEY_UNKNOWN = "host-key-unknown"
HOST_KEY_MISMATCH = "host-key-mismatch"


@dataclass(frozen=True)
class Target:
    site: Site
    host: str
    port: int
    known_hosts: Path | None = None  # the environment's file (targets() sets it)

    @property
    def driver(self) -> platforms.Driver:
        return platforms.driver(self.site.platform)


def targets(env: Environment, sites: list[Site]) -> dict[str, Target]:
    """Each site's device; raises LabNotUp when the WAN is `source: lab` and that lab is not up."""
    keys = known_hosts.path(env.name)
    if sources.wan(env.root) == sources.MODEL:
        return {site.id: Target(site, str(env.mgmt_ip(site)), 22, keys) for site in sites}
    lab = labcontract.wan_devices(env.name)
    missing = [site.id for site in sites if site.id not in lab]
    if missing:
        raise labcontract.LabNotUp(f"the running lab of {env.name} has no device for {', '.join(missing[:5])}: "
                                   f"run `pdc lab up {env.name} --wan-only` again")
    return {site.id: Target(site, lab[site.id].host, lab[site.id].port, keys) for site in sites}


def connect(target: Target, creds: Credentials, session_log: Path | None = None):
    """An enabled Netmiko session (raises on connection or login failure)."""
    from netmiko import ConnectHandler

    from pdc.wan.session_log import RedactedSessionLog

    if target.known_hosts is None or not target.known_hosts.is_file():
        raise HostKeyUnknown(target)
    log = RedactedSessionLog(session_log, creds.redactor()) if session_log is not None else None
    conn = ConnectHandler(
        device_type=target.driver.device_type, host=target.host, port=target.port, username=creds.username,
        password=creds.password, secret=creds.secret, conn_timeout=TIMEOUT, auth_timeout=TIMEOUT,
        banner_timeout=TIMEOUT, timeout=TIMEOUT * 3, session_log=log, allow_agent=False,
        use_keys=False, ssh_strict=True, system_host_keys=False, alt_host_keys=True,
        alt_key_file=str(target.known_hosts))
    if not conn.check_enable_mode():
        conn.enable()
    return conn


def running_config(conn, platform: str = "cisco_ios") -> str:
    return conn.send_command(platforms.driver(platform).show_running, read_timeout=60)


def startup_config(conn, platform: str = "cisco_ios") -> str:
    return conn.send_command(platforms.driver(platform).show_startup, read_timeout=60)


class HostKeyUnknown(Exception):
    def __init__(self, target: Target):
        super().__init__(f"no known_hosts file {target.known_hosts}")


def _host_key_problem(exc: BaseException) -> str | None:
    """HOST_KEY_MISMATCH or HOST_KEY_UNKNOWN when paramiko refused the key (Netmiko wraps it)."""
    import paramiko

    seen = exc
    while seen is not None:
        if isinstance(seen, paramiko.BadHostKeyException):
            return HOST_KEY_MISMATCH
        if isinstance(seen, HostKeyUnknown) or "not found in known_hosts" in str(seen):
            return HOST_KEY_UNKNOWN
        seen = seen.__cause__ or seen.__context__
    return None


def failure_status(exc: BaseException) -> str:
    """The status of a device whose session could not be opened: a host-key status, else unreachable."""
    return _host_key_problem(exc) or "unreachable"


def classify(exc: BaseException) -> str:
    """A short, secret-free reason for a connection failure."""
    from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException

    problem = _host_key_problem(exc)
    if problem == HOST_KEY_MISMATCH:
        return ("host key changed: the device presented a different key than known_hosts records; "
                "nothing was sent (check the device, then pdc wan trust ENV --limit SITE --replace)")
    if problem == HOST_KEY_UNKNOWN:
        return "host key unknown: run pdc wan trust ENV --limit SITE"
    if isinstance(exc, NetmikoAuthenticationException):
        return "login rejected"
    if isinstance(exc, NetmikoTimeoutException):
        return "connection timed out or refused"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, OSError | EOFError):
        return f"connection failed: {type(exc).__name__}"
    return f"{type(exc).__name__}"
