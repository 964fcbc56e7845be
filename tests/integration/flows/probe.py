"""One network probe per item, run concurrently inside a source's netns (`ip netns exec NS python probe.py`).

Reads a JSON list of probes on stdin, prints a JSON list of results (same order). Standard
library only: it runs with this machine's Python inside a lab host's netns, so its packets
leave from that host's address and cross the core and the server's nftables for real.

Kinds and results:
- ``tcp``: "open" (connected), "rst" (the server's kernel answered: nothing listens, the
  firewall let it through), "blocked" (no answer: dropped);
- ``banner``: the first bytes a server sends ("closed" when it closes the connection at once);
- ``ntp``: an SNTP client query; "answered stratum N" or "blocked";
- ``dns``: a query for ``localhost.`` (every resolver answers it from its own data, with no upstream):
  "answered" (NOERROR), "answered rcode N" (e.g. 5: the resolver refused this client) or "blocked";
- ``syslog``: one message carrying ``token`` over ``proto`` (udp or tcp); "sent" (the caller
  looks for the token on the collector) or "blocked".
"""

from __future__ import annotations

import json
import socket
import struct
import sys
from concurrent.futures import ThreadPoolExecutor

TIMEOUT = 2.0


def tcp(p: dict) -> str:
    try:
        with socket.create_connection((p["host"], p["port"]), timeout=TIMEOUT):
            return "open"
    except ConnectionRefusedError:
        return "rst"
    except OSError:
        return "blocked"


def banner(p: dict) -> str:
    try:
        with socket.create_connection((p["host"], p["port"]), timeout=TIMEOUT) as sock:
            sock.settimeout(TIMEOUT)
            data = sock.recv(64)
            return data.decode(errors="replace").strip() if data else "closed"
    except ConnectionResetError:
        return "closed"
    except ConnectionRefusedError:
        return "rst"
    except OSError:
        return "blocked"


def _udp(p: dict, payload: bytes) -> bytes | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(TIMEOUT)
        sock.sendto(payload, (p["host"], p["port"]))
        try:
            return sock.recv(4096)
        except OSError:
            return None


def ntp(p: dict) -> str:
    reply = _udp(p, bytes([0x23]) + bytes(47))
    if reply is None or len(reply) < 48:
        return "blocked"
    return f"answered stratum {reply[1]}"


def dns(p: dict) -> str:
    query = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + b"\x09localhost\x00" + struct.pack("!HH", 1, 1)
    reply = _udp(p, query)
    if not reply or reply[:2] != b"\x12\x34" or len(reply) < 4:
        return "blocked"
    rcode = reply[3] & 0x0F
    return "answered" if rcode == 0 else f"answered rcode {rcode}"


def syslog(p: dict) -> str:
    line = f"<14>Dec  7 00:00:00 {p['hostname']} pdc-flow-probe: {p['token']}".encode()
    if p["proto"] == "udp":
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(line, (p["host"], p["port"]))
        return "sent"
    try:
        with socket.create_connection((p["host"], p["port"]), timeout=TIMEOUT) as sock:
            sock.sendall(line + b"\n")
        return "sent"
    except OSError:
        return "blocked"


KINDS = {"tcp": tcp, "banner": banner, "ntp": ntp, "dns": dns, "syslog": syslog}


def main() -> None:
    probes = json.load(sys.stdin)
    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(lambda p: KINDS[p["kind"]](p), probes))
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
