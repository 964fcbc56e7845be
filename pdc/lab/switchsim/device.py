"""One emulated switch: its configuration, its fault state, and its SSH sessions."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fake_switches.cisco.cisco_core import BaseCiscoSwitchCore
from fake_switches.switch_configuration import Port, SwitchConfiguration

from pdc.lab.switchsim.mgmt import MgmtPlane
from pdc.lab.switchsim.processors import (
    ConfigProcessor,
    DropConnection,
    ExecProcessor,
    IosSession,
    UserProcessor,
)
from pdc.lab.switchsim.store import SwitchConfig

log = logging.getLogger("pdc.switchsim")


@dataclass
class Faults:
    """What the lab asked this device to get wrong (see ``pdc lab fault``)."""

    refuse: bool = False
    reject_login: bool = False
    reject_command: str | None = None
    drop_after: int | None = None  # one-shot: the next session drops after N config lines
    drop_armed: bool = False
    save_delay: float = 0.0  # seconds `write memory` takes before the save lands and [OK] comes

    @classmethod
    def from_json(cls, data: dict) -> Faults:
        drop = data.get("drop_after")
        return cls(refuse=bool(data.get("refuse")), reject_login=bool(data.get("reject_login")),
                   reject_command=data.get("reject_command"), drop_after=drop, drop_armed=drop is not None,
                   save_delay=float(data.get("save_delay") or 0))


class Device(BaseCiscoSwitchCore):
    """A fake-switches Cisco core whose processors keep every line (see ``processors``)."""

    def __init__(self, name: str, hostname: str, ports: list[str], enable_secret: str, address: str = "127.0.0.1",
                 ntp_poll: float = 64):
        switch_configuration = SwitchConfiguration(
            address, name=hostname, privileged_passwords=[enable_secret],
            ports=[Port(p) for p in ports])
        super().__init__(switch_configuration)
        self.name = name
        self.address = address
        self.config = SwitchConfig(hostname, ports)
        self.faults = Faults()
        self.config_lines = 0  # config lines seen by the current session (for drop_after)
        self.plane = MgmtPlane(self, address, ntp_poll)

    def configured(self, user: str, peer: str, ntp_before: list[str]) -> None:
        """A session left config mode after changing something: IOS logs it (and asks new NTP servers)."""
        self.plane.syslog(5, "SYS-5-CONFIG_I", f"Configured from console by {user} on vty0 ({peer})")
        if self.plane.ntp_servers() != ntp_before:
            self.plane.ntp_poll()

    def launch(self, protocol, terminal_controller):
        self.last_connection_id += 1
        self.config_lines = 0
        logger = logging.getLogger(f"switchsim.session.{self.name}")
        config = ConfigProcessor(self)
        processor = UserProcessor(ExecProcessor(self, config))
        from fake_switches.cisco.command_processor.piping import PipingProcessor

        self.switch_configuration.name = self.config.hostname
        processor.init(self.switch_configuration, terminal_controller, logger, PipingProcessor(logger))
        return IosSession(processor)

    def new_command_processor(self):  # required by the base class; launch() builds the chain
        raise NotImplementedError

    # ------------------------------------------------------------ fault hooks

    def on_config_line(self, text: str) -> None:
        self.config_lines += 1
        if self.faults.drop_armed and self.faults.drop_after is not None and \
                self.config_lines > self.faults.drop_after:
            self.faults.drop_armed = False
            log.info("%s: dropping the connection after %s config lines (fault)", self.name,
                     self.faults.drop_after)
            raise DropConnection()

    def rejected(self, text: str) -> bool:
        command = self.faults.reject_command
        return bool(command) and (text == command or text.startswith(command + " "))
