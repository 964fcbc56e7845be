"""SSH for the emulated switches: Twisted Conch, one factory per device, one host key for all
(a device under the host_key_changed fault presents another).

Differences from fake-switches' own SSH service, each for a reason:
- the host key is parsed once per process, not once per switch (10.7 s for 250 switches);
- the shell is line-based and echoes a whole received chunk at once: fake-switches'
  recvline shell echoes character by character, one SSH packet each;
- an exception in a command handler prints an IOS-style error instead of hanging the session;
- login checks consult the device's injected faults;
- a new connection is checked against the device's VTY access-class with the client's real
  address and closed before the SSH banner when refused, as on IOS (``mgmt``);
- logins send %SEC_LOGIN-5-LOGIN_SUCCESS / %SEC_LOGIN-4-LOGIN_FAILED to the logging hosts.
"""

from __future__ import annotations

import logging
import time

from fake_switches.transports.ssh_service import SSHDemoAvatar
from twisted.conch import interfaces as conchinterfaces
from twisted.conch.ssh import factory, keys, session, userauth
from twisted.cred import checkers, credentials, error, portal
from twisted.internet import defer, protocol
from zope.interface import implementer

from pdc.lab.switchsim.processors import DropConnection

log = logging.getLogger("pdc.switchsim")


class LineShell(protocol.Protocol):
    """Feeds complete lines to the fake-switches session; batches echo and output per chunk."""

    def __init__(self, device, user: str = "unknown", peer: str = "unknown"):
        self.device = device
        self.user = user  # who logged in, and from where: %SYS-5-CONFIG_I names them
        self.peer = peer
        self.buffer = b""
        self.out: list[bytes] = []
        self.session = None
        self.closing = False

    # fake-switches' terminal controller interface
    def write(self, text: str) -> None:
        self.out.append(text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8", "replace"))

    def add_any_key_handler(self, callback, *params):
        pass

    def remove_any_key_handler(self):
        pass

    def connectionMade(self):
        self.session = self.device.launch("ssh", self)
        self.flush()

    def dataReceived(self, data: bytes) -> None:
        if self.closing:
            return
        self.buffer += data
        while True:
            cut = _line_end(self.buffer)
            if cut is None:
                break
            raw, self.buffer = self.buffer[:cut[0]], self.buffer[cut[1]:]
            line = raw.decode("utf-8", "replace")
            if not self._hidden_input():
                self.out.append(raw + b"\r\n")
            else:
                self.out.append(b"\r\n")
            try:
                still = self.session.receive(line)
            except DropConnection:
                self.flush()
                self.closing = True
                self.transport.loseConnection()
                return
            except Exception as exc:  # noqa: BLE001 - a handler bug must not hang the session
                log.exception("%s: command %r failed", self.device.name, line)
                self.write(f"% Internal error: {type(exc).__name__}: {exc}\n")
                self.session.command_processor.show_prompt()
                still = True
            if not still:
                self.flush()
                self.closing = True
                self.transport.loseConnection()
                return
        self.flush()

    def flush(self) -> None:
        if self.out and self.transport is not None:
            self.transport.write(b"".join(self.out))
        self.out = []

    def _hidden_input(self) -> bool:
        proc = self.session.command_processor
        while proc.sub_processor is not None:
            proc = proc.sub_processor
        return proc.replace_input is not False


def _line_end(buffer: bytes) -> tuple[int, int] | None:
    """Where the first line ends and the next starts (CR, LF or CRLF)."""
    for i, byte in enumerate(buffer):
        if byte == 0x0D:
            if i + 1 < len(buffer) and buffer[i + 1] == 0x0A:
                return i, i + 2
            return i, i + 1
        if byte == 0x0A:
            return i, i + 1
    return None


@implementer(conchinterfaces.ISession)
class Avatar(SSHDemoAvatar):
    def openShell(self, transport_protocol):
        user = _printable(self.username)
        try:
            peer = self.conn.transport.transport.getPeer().host
        except AttributeError:
            peer = "unknown"
        shell = LineShell(self.switch_core, user, peer)
        shell.makeConnection(transport_protocol)
        transport_protocol.makeConnection(session.wrapProtocol(shell))

    def execCommand(self, protocol, cmd):
        raise NotImplementedError("exec is not supported; use a shell")


@implementer(portal.IRealm)
class Realm:
    def __init__(self, device):
        self.device = device

    def requestAvatar(self, avatar_id, mind, *interfaces):
        if conchinterfaces.IConchUser not in interfaces:
            raise NotImplementedError("no supported interface")
        return conchinterfaces.IConchUser, Avatar(avatar_id, switch_core=self.device), lambda: None


@implementer(checkers.ICredentialsChecker)
class Checker:
    credentialInterfaces = (credentials.IUsernamePassword,)

    def __init__(self, device, username: str, password: str):
        self.device = device
        self.username = username.encode()
        self.password = password.encode()

    def requestAvatarId(self, creds):
        if self.device.faults.reject_login:
            log.info("%s: rejecting the login (fault)", self.device.name)
            return defer.fail(error.UnauthorizedLogin("login rejected (fault injection)"))
        if creds.username == self.username and creds.password == self.password:
            return defer.succeed(creds.username)
        return defer.fail(error.UnauthorizedLogin("bad credentials"))


def _printable(raw) -> str:
    """A client-chosen user name, safe to put in one log line."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return "".join(c if c.isprintable() and c not in "[]" else "?" for c in text)[:64] or "?"


def _ios_time() -> str:
    return time.strftime("%H:%M:%S UTC %a %b %d %Y", time.gmtime())


class UserAuth(userauth.SSHUserAuthServer):
    """Conch's password authentication, plus IOS's login messages to the device's logging hosts."""

    def _peer(self) -> str:
        try:
            return self.transport.transport.getPeer().host
        except AttributeError:
            return "unknown"

    def _cbFinishedAuth(self, result):  # noqa: N802 - Conch's name
        super()._cbFinishedAuth(result)
        self.transport.factory.device.plane.syslog(
            5, "SEC_LOGIN-5-LOGIN_SUCCESS",
            f"Login Success [user: {_printable(self.user)}] [Source: {self._peer()}] [localport: 22] at {_ios_time()}")

    def _ebBadAuth(self, reason):  # noqa: N802
        if self.method == b"password" and reason.check(error.UnauthorizedLogin):
            self.transport.factory.device.plane.syslog(
                4, "SEC_LOGIN-4-LOGIN_FAILED",
                f"Login failed [user: {_printable(self.user)}] [Source: {self._peer()}] [localport: 22] "
                f"[Reason: Login Authentication Failed] at {_ios_time()}")
        return super()._ebBadAuth(reason)


class DeviceSSHFactory(factory.SSHFactory):
    """One device's SSH service; its VTY access-class decides, by source address, who may connect."""

    services = {**factory.SSHFactory.services, b"ssh-userauth": UserAuth}

    def __init__(self, device):
        self.device = device

    def buildProtocol(self, addr):  # noqa: N802 - Twisted's name
        permitted, why = self.device.plane.vty_permits(addr.host)
        if not permitted:
            # IOS closes the TCP connection before the SSH banner; None makes Twisted close the socket
            log.info("%s: refused %s (%s)", self.device.name, addr.host, why)
            return None
        return super().buildProtocol(addr)


def load_host_key(path: str) -> keys.Key:
    with open(path, "rb") as handle:
        return keys.Key.fromString(handle.read())


def new_host_key() -> keys.Key:
    """A fresh Ed25519 key (the host_key_changed fault: the device is not the one recorded)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return keys.Key(Ed25519PrivateKey.generate())


def set_host_key(ssh_factory: factory.SSHFactory, host_key: keys.Key) -> None:
    """The key the device presents from its next connection on."""
    ssh_factory.publicKeys = {host_key.sshType(): host_key.public()}
    ssh_factory.privateKeys = {host_key.sshType(): host_key}


def make_factory(device, host_key: keys.Key, username: str, password: str) -> factory.SSHFactory:
    ssh_factory = DeviceSSHFactory(device)
    ssh_factory.portal = portal.Portal(Realm(device))
    ssh_factory.portal.registerChecker(Checker(device, username, password))
    set_host_key(ssh_factory, host_key)
    ssh_factory.noisy = False
    return ssh_factory
