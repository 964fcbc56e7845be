"""The emulated WAN process: every switch of one environment, each on its management address, port 22.

Started by ``pdc.lab.switches.up`` inside the lab's WAN netns (where every device's address is
on a dummy interface) as ``python -m pdc.lab.switchsim.server SPEC``. SPEC (JSON, mode 600) names
the devices (address, port), credentials, host key, fault control file, the NTP poll interval and
the ready file this process writes once every device listens. Every poll interval each device asks
its configured NTP servers (``mgmt``).

Faults are read from the control file (``pdc lab fault`` writes it) every 100 ms; after
applying a new generation the server writes it to ``<control>.ack`` so the writer knows
the fault is in force before a test goes on. ``{"host_key_changed": true}`` makes a device
present another host key (one per process, made on first use) from its next connection on:
what a replaced or impersonated device looks like to the WAN engine.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from pathlib import Path

from twisted.internet import epollreactor

epollreactor.install()

from twisted.internet import reactor, task  # noqa: E402

from pdc.lab.switchsim.device import Device, Faults  # noqa: E402
from pdc.lab.switchsim.ssh import load_host_key, make_factory, new_host_key, set_host_key  # noqa: E402

log = logging.getLogger("pdc.switchsim")


class Wan:
    def __init__(self, spec: dict):
        self.spec = spec
        self.host_key = load_host_key(spec["host_key"])
        self.other_host_key = None  # the key of the host_key_changed fault
        self.devices: dict[str, Device] = {}
        self.factories = {}
        self.ports = {}
        self.control = Path(spec["control"])
        self.control_mtime = None
        self.generation = None
        self.entries: dict[str, dict] = {}
        for name, item in spec["devices"].items():
            device = Device(name, item["hostname"], item["ports"], spec["secret"], item["address"],
                            spec.get("ntp_poll", 64))
            self.devices[name] = device
            self.factories[name] = make_factory(device, self.host_key, spec["username"], spec["password"])

    def listen(self) -> None:
        for name, device in self.devices.items():
            if not device.faults.refuse:
                self._listen(name)

    def _listen(self, name: str) -> None:
        if name not in self.ports:
            port = self.spec["devices"][name]["port"]
            self.ports[name] = reactor.listenTCP(port, self.factories[name],
                                                 interface=self.spec["devices"][name]["address"], backlog=128)

    def _stop_listening(self, name: str) -> None:
        port = self.ports.pop(name, None)
        if port is not None:
            port.stopListening()

    def poll_ntp(self) -> None:
        for device in self.devices.values():
            if device.plane.associations or device.plane.ntp_servers():
                device.plane.ntp_poll()

    def _other_key(self):
        if self.other_host_key is None:
            self.other_host_key = new_host_key()
        return self.other_host_key

    def poll_faults(self) -> None:
        try:
            mtime = self.control.stat().st_mtime_ns
        except FileNotFoundError:
            mtime = None
        if mtime == self.control_mtime:
            return
        self.control_mtime = mtime
        try:
            data = json.loads(self.control.read_text()) if mtime else {"generation": 0, "devices": {}}
        except (OSError, json.JSONDecodeError) as exc:
            log.warning("fault control file unreadable (%s); keeping the current faults", exc)
            return
        if data.get("generation") == self.generation:
            return
        self.generation = data.get("generation")
        wanted = data.get("devices", {})
        for name, device in self.devices.items():
            entry = wanted.get(name, {})
            if entry == self.entries.get(name, {}):
                continue  # unchanged: keep its state (a fired one-shot drop stays fired)
            self.entries[name] = entry
            faults = Faults.from_json(entry)
            device.faults = faults
            set_host_key(self.factories[name], self._other_key() if entry.get("host_key_changed") else self.host_key)
            if faults.refuse:
                self._stop_listening(name)
            else:
                self._listen(name)
            if wanted.get(name):
                log.info("%s: faults %s", name, wanted[name])
        ack = self.control.with_name(self.control.name + ".ack")
        ack.write_text(json.dumps({"generation": self.generation}))


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("fake_switches").setLevel(logging.WARNING)
    logging.getLogger("switchsim.session").setLevel(logging.WARNING)
    spec_path = Path(argv[1])
    spec = json.loads(spec_path.read_text())
    wan = Wan(spec)
    wan.poll_faults()
    wan.listen()
    task.LoopingCall(wan.poll_faults).start(0.1, now=False)
    task.LoopingCall(wan.poll_ntp).start(spec.get("ntp_poll", 64), now=False)
    ready = Path(spec["ready"])
    ready.write_text(json.dumps({"pid": os.getpid(), "devices": len(wan.devices)}))
    log.info("%d switches listening on their management addresses", len(wan.devices))
    signal.signal(signal.SIGTERM, lambda *_: reactor.callFromThread(reactor.stop))
    reactor.run(installSignalHandlers=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
