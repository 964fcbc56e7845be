"""The SSH host keys the WAN engine trusts: one OpenSSH known_hosts file per environment.

Default ``<STATE>/wan/<env>/known_hosts`` (``PDC_WAN_KNOWN_HOSTS`` overrides it); entries are
``[host]:port`` when the port is not 22, as OpenSSH writes them. Keys get in only through
``pdc wan trust`` (which shows each fingerprint) or the lab, which records its own devices.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
from dataclasses import dataclass
from pathlib import Path

import paramiko

from pdc import paths, yamlsource
from pdc.wan import private_files

MAX_BYTES = 8 * 1024 * 1024  # a known_hosts of every device of a country is far smaller


class KnownHostsError(RuntimeError):
    pass


def path(env_name: str) -> Path:
    override = os.environ.get("PDC_WAN_KNOWN_HOSTS")
    return Path(override) if override else paths.STATE / "wan" / env_name / "known_hosts"


def entry_name(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's form: SHA256:<base64 of the key blob's digest, unpadded>."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def load(file: Path) -> paramiko.HostKeys:
    keys = paramiko.HostKeys()
    if not file.exists() and not file.is_symlink():
        return keys
    try:
        # bounded and regular only: PDC_WAN_KNOWN_HOSTS=/dev/zero must not hang or fill memory
        text = yamlsource.read_bounded(file, str(file), root=Path("/"), limit=MAX_BYTES).decode()
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            entry = paramiko.hostkeys.HostKeyEntry.from_line(line, number)
            for name in entry.hostnames if entry else ():  # a key type paramiko lacks: skipped, as its load does
                keys.add(name, entry.key.get_name(), entry.key)
    except yamlsource.SourceError as exc:
        raise KnownHostsError(f"{file}: unreadable known_hosts ({exc.message})") from None
    except (ValueError, paramiko.SSHException, paramiko.hostkeys.InvalidHostKey) as exc:
        raise KnownHostsError(f"{file}: unreadable known_hosts ({type(exc).__name__})") from None
    return keys


def fetch(host: str, port: int, timeout: float = 10.0) -> paramiko.PKey:
    """The key a device presents: key exchange only, no authentication attempted."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        transport = paramiko.Transport(sock)
        try:
            transport.start_client(timeout=timeout)
            return transport.get_remote_server_key()
        finally:
            transport.close()


@dataclass(frozen=True)
class Check:
    name: str  # the known_hosts entry name
    key: paramiko.PKey  # what the device presented
    status: str  # "known", "new" or "changed"
    recorded: paramiko.PKey | None  # what the file holds for this name, if anything


def check(keys: paramiko.HostKeys, host: str, port: int, key: paramiko.PKey) -> Check:
    name = entry_name(host, port)
    recorded = keys.lookup(name)
    if not recorded:
        return Check(name, key, "new", None)
    ours = recorded.get(key.get_name())
    if ours is not None and ours == key:
        return Check(name, key, "known", ours)
    return Check(name, key, "changed", ours or next(iter(recorded.values())))


def record(file: Path, checks: list[Check], replace: bool = False) -> None:
    """Add the presented keys (a changed one only with ``replace``) and write the file 0600."""
    keys = load(file)
    for item in checks:
        if item.status == "known":
            continue
        if item.status == "changed" and not replace:
            raise KnownHostsError(f"{item.name}: the recorded key differs; refusing to replace it")
        while item.status == "changed" and keys.lookup(item.name):
            del keys[item.name]  # every line (key type) of the old entry
        keys.add(item.name, item.key.get_name(), item.key)
    private_files.write(file, _text(keys))


def _text(keys: paramiko.HostKeys) -> str:
    lines = []
    for entry in keys._entries:  # noqa: SLF001 - HostKeys.save() writes in place with the umask's mode
        line = entry.to_line()
        if line:
            lines.append(line)
    return "".join(lines)
