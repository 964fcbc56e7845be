"""The lab's package mirror: apt-cacher-ng on this machine, at the address the environment names.

``shared_services.package_mirror`` says where hosts get packages (in production, the data
centre's mirror). In the lab that URL must point at this machine's end of
``lab.gateway_network``; the proxy listens only there, with a private config that maps the
mirror's paths to the real Debian archive (the stock backend lists answer 503 for them).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from ipaddress import IPv4Address, ip_address
from pathlib import Path
from urllib.parse import urlsplit

from pdc import paths
from pdc.lab.errors import LabError
from pdc.lab.state import LabState, alive, read_pid

UPSTREAM = {
    "debian": os.environ.get("PDC_DEBIAN_UPSTREAM", "http://deb.debian.org/debian"),
    "security": os.environ.get("PDC_SECURITY_UPSTREAM", "http://deb.debian.org/debian-security"),
}


def mirror_endpoint(env, machine_addr: IPv4Address) -> tuple[IPv4Address, int, dict[str, str]]:
    """(address, port, {kind: path}) from package_mirror, checked against the lab's gateway."""
    mirror = env.settings.shared_services.package_mirror
    where = f"{env.root.name}/environment.yml: shared_services.package_mirror"
    endpoints, paths_by_kind = set(), {}
    for kind in ("debian", "security"):
        url = urlsplit(getattr(mirror, kind))
        try:
            host = ip_address(url.hostname or "")
        except ValueError:
            raise LabError(f"{where}.{kind}: {url.geturl()} must name this machine by address "
                           f"({machine_addr}, from lab.gateway_network) for the lab") from None
        if host != machine_addr:
            raise LabError(f"{where}.{kind}: host {host} is not this machine's lab address {machine_addr} "
                           f"(lab.gateway_network)")
        endpoints.add((host, url.port or 80))
        paths_by_kind[kind] = url.path.rstrip("/") or "/"
    if len(endpoints) != 1:
        raise LabError(f"{where}: debian and security must use the same host and port in the lab")
    host, port = endpoints.pop()
    return host, port, paths_by_kind


def sources_list(env, suite: str) -> str:
    mirror = env.settings.shared_services.package_mirror
    debian, security = mirror.debian.rstrip("/"), mirror.security.rstrip("/")
    return (f"deb {debian} {suite} main\n"
            f"deb {debian} {suite}-updates main\n"
            f"deb {security} {suite}-security main\n")


# apt's pipelined requests through apt-cacher-ng left its http method stuck on a closed
# connection (CLOSE-WAIT) for ever: one request at a time, and time out and retry.
APT_CONF = 'Acquire::http::Pipeline-Depth "0";\nAcquire::http::Timeout "30";\nAcquire::Retries "5";\n'
APT_CONF_PATH = "etc/apt/apt.conf.d/80pdc-lab-mirror"


def _config(paths_by_kind: dict[str, str]) -> str:
    lines = ["# Written by pdc lab: the lab's package mirror, mapped to the real archive."]
    for kind, path in paths_by_kind.items():
        lines.append(f"Remap-pdc{kind}: {path} ; {UPSTREAM[kind].rstrip('/')}/")
    lines += ["SupportDir: /usr/lib/apt-cacher-ng", "ExThreshold: 4", "ReportPage: acng-report.html"]
    return "\n".join(lines) + "\n"


def run_dir(state: LabState) -> Path:
    return state.run / "proxy"


def running(state: LabState) -> bool:
    return alive(read_pid(run_dir(state) / "acng.pid.main"), str(run_dir(state)))


def ensure(state: LabState, env, machine_addr: IPv4Address) -> None:
    host, port, paths_by_kind = mirror_endpoint(env, machine_addr)
    if running(state) and _listening(host, port):
        return
    d = run_dir(state)
    (d / "conf").mkdir(parents=True, exist_ok=True)
    (d / "log").mkdir(exist_ok=True)
    (d / "conf/acng.conf").write_text(_config(paths_by_kind))
    # one cache per lab: two apt-cacher-ng processes on one cache dir collide on the same files
    cache = paths.CACHE / "apt-cacher-ng" / env.name
    cache.mkdir(parents=True, exist_ok=True)
    cmd = ["apt-cacher-ng", "-c", str(d / "conf"), "ForeGround=1", f"CacheDir={cache}", f"LogDir={d / 'log'}",
           f"Port={port}", f"BindAddress={host}", f"PidFile={d / 'acng.pid'}",
           f"SocketPath={d / 'acng.socket'}"]
    with open(d / "stdout.log", "ab") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    (d / "acng.pid.main").write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _listening(host, port):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    tail = (d / "stdout.log").read_text(errors="replace")[-1500:]
    raise LabError(f"apt-cacher-ng did not start on {host}:{port}:\n{tail}")


def _listening(host: IPv4Address, port: int) -> bool:
    try:
        with socket.create_connection((str(host), port), timeout=1):
            return True
    except OSError:
        return False
