"""One-line syslog summaries to the SOC collector(s) the environment names (services.syslog).

The collectors are the syslog service's servers (pdc.flows), on its first port, over UDP when the
service speaks UDP (else TCP, one connection per collector, RFC 6587 octet counting). Each message is
RFC 5424 with facility local4; it carries only the site id, the status, the finding names and counts
(never a config line), and every value is from a closed set or pattern, so nothing a device says can
inject a line.
"""

from __future__ import annotations

import re
import socket
import time
from dataclasses import dataclass
from ipaddress import IPv4Address

from pdc.environment import Environment
from pdc.wan.report import Result

FACILITY = 20  # local4
SEVERITY = {"compliant": 6, "drift": 4}  # info, warning; anything else (read failures): err
TIMEOUT = 5.0
_SAFE = re.compile(r"[^A-Za-z0-9._:,=+-]")


@dataclass(frozen=True)
class Collector:
    address: IPv4Address
    port: int
    transport: str  # udp or tcp

    def __str__(self) -> str:
        return f"{self.address}:{self.port}/{self.transport}"


def collectors(env: Environment) -> list[Collector]:
    from pdc.flows import flows

    service = env.settings.services.syslog
    transport = "udp" if "udp" in service.protocols else "tcp"
    return [Collector(a, service.ports[0], transport)
            for a in flows(env).server_addresses("syslog", without_devices=True)]


def _safe(value) -> str:
    return _SAFE.sub("_", str(value))[:200]


def line(env_name: str, result: Result, hostname: str | None = None, now: float | None = None) -> str:
    """The RFC 5424 message for one device's drift result."""
    severity = SEVERITY.get(result.status, 3)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now if now is not None else time.time()))
    host = _safe(hostname or socket.gethostname()) or "-"
    findings = ",".join(_safe(f) for f in result.details.get("findings", [])) or "none"
    text = (f"env={_safe(env_name)} site={_safe(result.site)} status={_safe(result.status)} "
            f"findings={findings} remediation_lines={int(result.lines)}")
    return f"<{FACILITY * 8 + severity}>1 {stamp} {host} pdc-wan-drift - - - {text}"


def send(targets: list[Collector], lines: list[str]) -> None:
    """Every line to every collector; an OSError names the collector."""
    for target in targets:
        try:
            if target.transport == "udp":
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                    for message in lines:
                        sock.sendto(message.encode(), (str(target.address), target.port))
            else:
                with socket.create_connection((str(target.address), target.port), timeout=TIMEOUT) as sock:
                    sock.sendall(b"".join(f"{len(m.encode())} {m}".encode() for m in lines))
        except OSError as exc:
            raise OSError(f"syslog to {target}: {exc.strerror or type(exc).__name__}") from None
