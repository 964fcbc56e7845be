"""Host keys against a real SSH server (paramiko): a changed or unknown key stops the session before
authentication, so the password is never sent; `trust`'s building blocks record and compare keys."""

from __future__ import annotations

import io
import shutil
import socket
import subprocess
import threading

import paramiko
import pytest

from pdc.wan import connect, known_hosts
from pdc.wan.credentials import Credentials
from tests.unit.wan.hostile_files import plant

CREDS = Credentials("netadmin", "unit-password-123", "unit-enable-123", "snmp-auth-1", "snmp-priv-1")


class _Server(paramiko.ServerInterface):
    def __init__(self, attempts: list):
        self.attempts = attempts

    def get_allowed_auths(self, username):
        return "password"

    def check_auth_password(self, username, password):
        self.attempts.append(password)
        return paramiko.AUTH_FAILED


@pytest.fixture
def device():
    """A listening SSH server with its own host key; records every password it is sent."""
    key = _new_key()
    listener = socket.create_server(("127.0.0.1", 0))
    attempts: list[str] = []
    stop = threading.Event()

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            transport = paramiko.Transport(sock)
            transport.add_server_key(key)
            try:
                transport.start_server(server=_Server(attempts))
                transport.accept(2)
            except (paramiko.SSHException, EOFError, OSError):
                pass
            finally:
                transport.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield key, listener.getsockname()[1], attempts
    stop.set()
    thread.join(2)
    listener.close()


def _new_key() -> paramiko.PKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption())
    return paramiko.Ed25519Key.from_private_key(io.StringIO(pem.decode()))


def _target(tmp_path, port: int) -> connect.Target:
    from types import SimpleNamespace

    return connect.Target(SimpleNamespace(id="dc", platform="cisco_ios"), "127.0.0.1", port, tmp_path / "known_hosts")


def _trust(file, port: int, key) -> None:
    keys = known_hosts.load(file)
    known_hosts.record(file, [known_hosts.check(keys, "127.0.0.1", port, key)])


def test_a_known_key_reaches_authentication(device, tmp_path):
    key, port, attempts = device
    _trust(tmp_path / "known_hosts", port, known_hosts.fetch("127.0.0.1", port))
    with pytest.raises(Exception) as info:
        connect.connect(_target(tmp_path, port), CREDS)
    assert connect.failure_status(info.value) == "unreachable"
    assert connect.classify(info.value) == "login rejected"
    assert attempts == [CREDS.password]  # this server was trusted: the login was tried


def test_a_changed_key_is_refused_before_the_password_is_sent(device, tmp_path):
    key, port, attempts = device
    _trust(tmp_path / "known_hosts", port, _new_key())  # what we recorded is not what it presents
    with pytest.raises(Exception) as info:
        connect.connect(_target(tmp_path, port), CREDS)
    assert connect.failure_status(info.value) == "host-key-mismatch"
    assert "nothing was sent" in connect.classify(info.value)
    assert attempts == []


@pytest.mark.parametrize("file_exists", [True, False])
def test_an_unknown_device_is_refused_before_the_password_is_sent(device, tmp_path, file_exists):
    key, port, attempts = device
    if file_exists:
        _trust(tmp_path / "known_hosts", 2222, key)  # another device's entry only
    with pytest.raises(Exception) as info:
        connect.connect(_target(tmp_path, port), CREDS)
    assert connect.failure_status(info.value) == "host-key-unknown"
    assert "pdc wan trust" in connect.classify(info.value)
    assert attempts == []


def test_record_refuses_a_changed_key_unless_replace(tmp_path):
    file = tmp_path / "wan" / "known_hosts"
    old, new = _new_key(), _new_key()
    known_hosts.record(file, [known_hosts.check(known_hosts.load(file), "10.0.0.1", 22, old)])
    assert file.read_text().startswith("10.0.0.1 ssh-ed25519 ")  # port 22: a bare host, as OpenSSH writes
    changed = known_hosts.check(known_hosts.load(file), "10.0.0.1", 22, new)
    assert changed.status == "changed" and changed.recorded == old
    with pytest.raises(known_hosts.KnownHostsError, match="refusing to replace"):
        known_hosts.record(file, [changed])
    assert known_hosts.check(known_hosts.load(file), "10.0.0.1", 22, old).status == "known"
    known_hosts.record(file, [changed], replace=True)
    assert known_hosts.check(known_hosts.load(file), "10.0.0.1", 22, new).status == "known"
    assert len(file.read_text().splitlines()) == 1
    assert known_hosts.check(known_hosts.load(file), "10.0.0.1", 2201, new).status == "new"  # [host]:port


def test_the_path_is_per_environment_and_can_be_overridden(monkeypatch, tmp_path):
    from pdc import paths

    monkeypatch.delenv("PDC_WAN_KNOWN_HOSTS", raising=False)
    assert known_hosts.path("haiduong") == paths.STATE / "wan" / "haiduong" / "known_hosts"
    monkeypatch.setenv("PDC_WAN_KNOWN_HOSTS", str(tmp_path / "kh"))
    assert known_hosts.path("haiduong") == tmp_path / "kh"


@pytest.mark.skipif(not shutil.which("ssh-keygen"), reason="OpenSSH's ssh-keygen is not installed")
def test_fingerprints_match_openssh(tmp_path):
    key = _new_key()
    file = tmp_path / "known_hosts"
    known_hosts.record(file, [known_hosts.check(known_hosts.load(file), "10.0.0.1", 22, key)])
    out = subprocess.run(["ssh-keygen", "-l", "-f", str(file)], capture_output=True, text=True, check=True).stdout
    assert known_hosts.fingerprint(key) in out


@pytest.mark.parametrize("planted", ["dev-zero", "fifo", "folder", "huge", "garbage"])
def test_a_hostile_known_hosts_file_is_a_clear_error_not_a_hang(tmp_path, planted):
    """PDC_WAN_KNOWN_HOSTS is the operator's to set: /dev/zero, a FIFO, a folder or a huge file
    must not hang nor fill memory, and garbage is named, never half trusted."""
    file = tmp_path / "known_hosts"
    if planted == "garbage":
        file.write_text("10.0.0.1 ssh-ed25519 AAAA!!!not-base64\n")
    else:
        plant(file, planted, known_hosts.MAX_BYTES)
    with pytest.raises(known_hosts.KnownHostsError, match=str(file)):
        known_hosts.load(file)


def test_comments_blank_lines_and_unknown_key_types_are_skipped(tmp_path):
    key = _new_key()
    file = tmp_path / "known_hosts"
    known_hosts.record(file, [known_hosts.check(known_hosts.load(file), "10.0.0.1", 22, key)])
    file.write_text("# the WAN\n\n10.0.0.9 ssh-unknown AAAA\n" + file.read_text())
    assert known_hosts.check(known_hosts.load(file), "10.0.0.1", 22, key).status == "known"
