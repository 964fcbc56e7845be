"""What an emulated device does on its management plane, from its management address, as IOS does it.

- **VTY access-class.** A new SSH connection is checked against the ``access-class NAME in`` of
  ``line vty 0 ...`` in the running config, with the client's real source address (the ACL
  evaluator is the WAN engine's own, ``pdc.wan.acl``, so guard and device agree). A refused client
  has its TCP connection closed before the SSH banner, as on IOS. An access-class naming a missing
  ACL permits everything (IOS does the same).
- **Management interface.** While the interface holding the management address is ``shutdown``, a
  new connection to that address is closed at once (the listener stays: the lab has one address per
  device and no other path to model); sessions already open carry on, as the lab's one netns allows.
- **Syslog.** Each ``logging host A [transport udp|tcp [port N]]`` gets real messages, sent from the
  device's address, in IOS's format (``<189>12: *Dec  7 13:10:20.123 UTC: %SYS-5-CONFIG_I: ...``, no
  hostname field: a collector files them by the sender's address). Facility local7.
- **NTP.** Each ``ntp server A`` is asked (an SNTP client packet, mode 3, from the device's address)
  when it is configured and every poll interval; ``show ntp associations`` reports the answers.
"""

from __future__ import annotations

import logging
import struct
import time
from dataclasses import dataclass, field
from ipaddress import IPv4Address

from twisted.internet import protocol, reactor

from pdc.wan import acl

log = logging.getLogger("pdc.switchsim")

LOCAL7 = 23
NTP_PORT = 123
NTP_EPOCH = 2208988800  # seconds from 1900 (NTP) to 1970 (Unix)
SYSLOG_PORT = 514


@dataclass
class Association:
    """One configured NTP server, as `show ntp associations` shows it."""

    address: str
    stratum: int = 16
    refid: str = ".INIT."
    reach: int = 0  # the 8-bit reach register: one bit per poll, set when it answered
    last: float | None = None  # monotonic time of the last answer
    delay_ms: float = 0.0
    offset_ms: float = 0.0
    sent: dict[bytes, float] = field(default_factory=dict)  # transmit timestamp -> unix time sent


def _ntp_time(unix: float) -> bytes:
    seconds = int(unix) + NTP_EPOCH
    fraction = int((unix % 1) * 2**32)
    return struct.pack("!II", seconds & 0xFFFFFFFF, fraction & 0xFFFFFFFF)


def _unix(ntp: bytes) -> float:
    seconds, fraction = struct.unpack("!II", ntp)
    return seconds - NTP_EPOCH + fraction / 2**32


class _Udp(protocol.DatagramProtocol):
    def __init__(self, plane: MgmtPlane):
        self.plane = plane

    def datagramReceived(self, data: bytes, addr) -> None:  # noqa: N802 - Twisted's name
        if addr[1] == NTP_PORT:
            self.plane.ntp_answer(addr[0], data)


class _OneMessage(protocol.Protocol):
    """Syslog over TCP: one connection per message, LF-framed (what rsyslog's imtcp reads)."""

    def __init__(self, line: bytes):
        self.line = line

    def connectionMade(self):  # noqa: N802
        self.transport.write(self.line + b"\n")
        self.transport.loseConnection()


class MgmtPlane:
    def __init__(self, device, address: str, poll: float):
        self.device = device
        self.address = address
        self.poll = poll
        self.udp = None
        self.sequence = 0
        self.associations: dict[str, Association] = {}

    # ------------------------------------------------------------ config

    def _lines(self) -> list[tuple[str, list[str]]]:
        return [(c.text, [g.text for g in c.children]) for c in self.device.config.root.children]

    def _socket(self):
        if self.udp is None:
            self.udp = reactor.listenUDP(0, _Udp(self), interface=self.address)
        return self.udp

    # ------------------------------------------------------------ VTY access-class

    def vty_permits(self, source: str) -> tuple[bool, str]:
        """(permitted, why) for a new SSH session from ``source`` (the session takes vty 0)."""
        lines = self._lines()
        down = self.shut_interface(lines)
        if down is not None:
            return False, f"{down} holding {self.address} is shut down"
        for text, children in lines:
            words = text.split()
            if words[:2] != ["line", "vty"] or len(words) < 3 or words[2] != "0":
                continue
            for child in children:
                parts = child.split()
                if parts[:1] != ["access-class"] or len(parts) < 3 or "in" not in parts[2:]:
                    continue
                found = acl.find(lines, parts[1])
                if found is None:
                    return True, f"access-class {parts[1]}: no such ACL (permits all)"
                try:
                    verdict = found.evaluate(IPv4Address(source), IPv4Address(self.address))
                except (acl.AclError, ValueError) as exc:
                    return False, f"access-class {parts[1]}: {exc}"
                return verdict.permitted, f"access-class {parts[1]}: {verdict.entry}"
        return True, "no access-class"

    def shut_interface(self, lines=None) -> str | None:
        """The interface holding the management address when it is `shutdown` (the address is down: a
        new connection to it gets no answer from the device), else None."""
        for text, children in lines if lines is not None else self._lines():
            if text.startswith("interface ") and "shutdown" in children and \
                    any(c.split()[:3] == ["ip", "address", self.address] for c in children):
                return text.split(" ", 1)[1]
        return None

    # ------------------------------------------------------------ syslog

    def logging_hosts(self) -> list[tuple[str, str, int]]:
        """(address, transport, port) of every `logging host` line."""
        out = []
        for text, _ in self._lines():
            words = text.split()
            if words[:2] != ["logging", "host"] or len(words) < 3:
                continue
            transport, port = "udp", SYSLOG_PORT
            rest = words[3:]
            if rest[:1] == ["transport"] and len(rest) >= 2:
                transport = rest[1]
                if rest[2:3] == ["port"] and len(rest) >= 4 and rest[3].isdigit():
                    port = int(rest[3])
            out.append((words[2], transport, port))
        return out

    def syslog(self, severity: int, mnemonic: str, text: str) -> None:
        """Send one IOS-formatted message to every configured logging host."""
        hosts = self.logging_hosts()
        if not hosts:
            return
        self.sequence += 1
        now = time.time()
        stamp = time.strftime("%b %e %H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d} UTC"
        synced = "" if self.synced() else "*"
        line = f"<{LOCAL7 * 8 + severity}>{self.sequence}: {synced}{stamp}: %{mnemonic}: {text}".encode()
        for host, transport, port in hosts:
            try:
                if transport == "tcp":
                    factory = protocol.ClientFactory.forProtocol(lambda line=line: _OneMessage(line))
                    factory.noisy = False
                    reactor.connectTCP(host, port, factory, timeout=5, bindAddress=(self.address, 0))
                else:
                    self._socket().write(line, (host, port))
            except Exception as exc:  # noqa: BLE001 - a log line that cannot go is dropped, as on IOS
                log.info("%s: syslog to %s:%s/%s failed: %s", self.device.name, host, port, transport, exc)

    # ------------------------------------------------------------ NTP

    def ntp_servers(self) -> list[str]:
        return [text.split()[2] for text, _ in self._lines()
                if text.startswith("ntp server ") and len(text.split()) >= 3]

    def synced(self) -> bool:
        return any(a.last is not None and a.reach & 1 for a in self.associations.values())

    def ntp_poll(self) -> None:
        servers = self.ntp_servers()
        self.associations = {s: self.associations.get(s) or Association(s) for s in servers}
        for server, assoc in self.associations.items():
            assoc.reach = (assoc.reach << 1) & 0xFF
            now = time.time()
            transmit = _ntp_time(now)
            assoc.sent = {transmit: now}
            packet = bytes([0x23]) + bytes(39) + transmit  # LI 0, version 4, mode 3 (client)
            try:
                self._socket().write(packet, (server, NTP_PORT))
            except Exception as exc:  # noqa: BLE001
                log.info("%s: NTP query to %s failed: %s", self.device.name, server, exc)

    def ntp_answer(self, server: str, data: bytes) -> None:
        received = time.time()
        assoc = self.associations.get(server)
        if assoc is None or len(data) < 48 or data[0] & 0x07 != 4:
            return
        origin = data[24:32]
        sent = assoc.sent.pop(origin, None)
        if sent is None:
            return  # not an answer to our last query
        stratum = data[1]
        if stratum == 0 or stratum >= 16:
            return  # kiss-o'-death or unsynchronised: no answer to count
        t2, t3 = _unix(data[32:40]), _unix(data[40:48])
        assoc.stratum = stratum
        ref = data[12:16]
        assoc.refid = f".{ref.rstrip(bytes(1)).decode('ascii', 'replace')}." if stratum == 1 \
            else str(IPv4Address(ref))
        assoc.delay_ms = ((received - sent) - (t3 - t2)) * 1000
        assoc.offset_ms = ((t2 - sent) + (t3 - received)) / 2 * 1000
        assoc.reach |= 1
        assoc.last = time.monotonic()

    def show_ntp_associations(self) -> list[str]:
        out = ["  address         ref clock       st   when   poll reach  delay  offset   disp"]
        peer = next((a.address for a in self.associations.values() if a.last is not None and a.reach & 1), None)
        for assoc in self.associations.values():
            mark = "*" if assoc.address == peer else ("+" if assoc.last is not None else " ")
            when = "-" if assoc.last is None else str(int(time.monotonic() - assoc.last))
            out.append(f"{mark}~{assoc.address:<15} {assoc.refid:<15} {assoc.stratum:>2} {when:>6} "
                       f"{int(self.poll):>6} {assoc.reach:>5o} {assoc.delay_ms:>6.3f} {assoc.offset_ms:>7.3f} "
                       f"{0.0 if assoc.last is not None else 15937.0:>6.3f}")
        out.append(" * sys.peer, # selected, + candidate, - outlyer, x falseticker, ~ configured")
        return out
