"""A stand-in for the SOC collector and the NTP server, run inside a netns at their planned address.

Used by the WAN tier, which runs without the lab's containers: it records every syslog datagram
(UDP 514) and TCP syslog line (TCP 514) as one JSON line ``{"from": address, "line": text}`` in
OUT, and answers NTP client packets (UDP 123) as a stratum-2 server. Not part of the product.

    python standin.py OUT
"""

from __future__ import annotations

import json
import selectors
import socket
import struct
import sys
import time

NTP_EPOCH = 2208988800


def _ntp_now() -> bytes:
    now = time.time()
    return struct.pack("!II", int(now) + NTP_EPOCH, int((now % 1) * 2**32))


def main(out_path: str) -> None:
    sel = selectors.DefaultSelector()
    syslog_udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    syslog_udp.bind(("0.0.0.0", 514))  # noqa: S104 - inside the stand-in's own netns
    ntp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ntp.bind(("0.0.0.0", 123))  # noqa: S104
    syslog_tcp = socket.create_server(("0.0.0.0", 514))  # noqa: S104
    for sock in (syslog_udp, ntp, syslog_tcp):
        sel.register(sock, selectors.EVENT_READ)
    out = open(out_path, "a", buffering=1)  # noqa: SIM115 - lives as long as the process
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            sock = key.fileobj
            if sock is syslog_udp:
                data, addr = sock.recvfrom(8192)
                out.write(json.dumps({"from": addr[0], "line": data.decode(errors="replace")}) + "\n")
            elif sock is ntp:
                data, addr = sock.recvfrom(512)
                if len(data) >= 48 and data[0] & 0x07 == 3:
                    received = _ntp_now()
                    reply = bytes([0x24, 2, 6, 0xEC]) + bytes(8) + bytes([10, 0, 0, 1]) + received + data[40:48] \
                        + received + _ntp_now()
                    sock.sendto(reply, addr)
            elif sock is syslog_tcp:
                conn, addr = sock.accept()
                conn.settimeout(2)
                data = b""
                try:
                    while chunk := conn.recv(8192):
                        data += chunk
                except OSError:
                    pass
                conn.close()
                for line in data.decode(errors="replace").splitlines():
                    out.write(json.dumps({"from": addr[0], "line": line}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
