"""One emulated switch: its configuration, its fault state, and its SSH sessions."""

from __future__ import annotations

import logging
import time
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
from pdc.lab.switchsim.store import RollbackRefused, Section, SwitchConfig

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
    # the lab's clock for IOS timers given in minutes (`configure terminal revert timer N`): seconds per
    # minute. An emulator option only: the WAN engine always sends minutes.
    minute: float = 60.0

    @classmethod
    def from_json(cls, data: dict) -> Faults:
        drop = data.get("drop_after")
        return cls(refuse=bool(data.get("refuse")), reject_login=bool(data.get("reject_login")),
                   reject_command=data.get("reject_command"), drop_after=drop, drop_armed=drop is not None,
                   save_delay=float(data.get("save_delay") or 0),
                   minute=float(data.get("revert_minute_seconds") or 60.0))


@dataclass
class PendingRollback:
    """A `configure terminal revert timer N` not yet confirmed: the archived config and its timer."""

    snapshot: Section
    archive: str  # the archive file the snapshot was written to
    minutes: int
    call: object  # the reactor's IDelayedCall


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
        self.rollback: PendingRollback | None = None
        self.archives = 0  # archive files written (IOS numbers them -0, -1, ...)
        self.clock = None  # the reactor (tests pass a twisted.internet.task.Clock)

    # ------------------------------------------------------------ Configuration Rollback Confirmed Change

    def _clock(self):
        if self.clock is None:
            from twisted.internet import reactor

            self.clock = reactor
        return self.clock

    def arm_rollback(self, minutes: int) -> str:
        """`configure terminal revert timer N`: archive the running config, start the timer; the archive
        file's name. Raises RollbackRefused with IOS's message."""
        path = self.config.archive_path()
        if path is None:
            raise RollbackRefused("Rollback Confirmed Change: archive path is not configured; "
                                  "configure 'path' under 'archive'")
        if self.rollback is not None:
            raise RollbackRefused("Rollback Confirmed Change: a confirmed change is already in progress; "
                                  "use 'configure confirm' or 'configure revert'")
        stamp = time.strftime("%b-%e-%H-%M-%S", time.gmtime()).replace(" ", "-")
        archive = f"{path}-{stamp}.{int(time.time() % 1 * 1000):03d}-{self.archives}"
        self.archives += 1
        call = self._clock().callLater(minutes * self.faults.minute, self.expire)
        self.rollback = PendingRollback(self.config.snapshot(), archive, minutes, call)
        log.info("%s: revert timer %s min (%ss each) armed, archive %s", self.name, minutes, self.faults.minute,
                 archive)
        return archive

    def confirm_rollback(self, user: str, peer: str) -> bool:
        """`configure confirm`: stop the timer, keep the running config; False when none was pending."""
        pending, self.rollback = self.rollback, None
        if pending is None:
            return False
        if pending.call.active():
            pending.call.cancel()
        self.plane.syslog(5, "ARCHIVE_DIFF-5-ROLLBK_CNFRM_CHNG_CONFIRM",
                          f"User: {user}({peer}): Rollback Confirmed Change: Configuration confirmed.")
        return True

    def reset_rollback_timer(self, minutes: int) -> bool:
        """`configure revert timer N`: the pending change's timer starts again with N minutes."""
        if self.rollback is None:
            return False
        if self.rollback.call.active():
            self.rollback.call.cancel()
        self.rollback.minutes = minutes
        self.rollback.call = self._clock().callLater(minutes * self.faults.minute, self.expire)
        return True

    def expire(self) -> None:
        """The timer ran out (or `configure revert now`): the running config back to the archive."""
        pending, self.rollback = self.rollback, None
        if pending is None:
            return
        if pending.call.active():
            pending.call.cancel()
        self.plane.syslog(5, "ARCHIVE_DIFF-5-ROLLBK_CNFRM_CHNG_TIMER_EXPIRED",
                          f"Rollback Confirmed Change: Timer expired; rolling back to {pending.archive}")
        self.config.replace(pending.snapshot)
        self.plane.syslog(5, "ARCHIVE_DIFF-5-ROLLBK_CNFRM_CHNG_REVERT",
                          f"Rollback Confirmed Change: Reverted to {pending.archive}")
        log.info("%s: revert timer expired: running config replaced with %s", self.name, pending.archive)

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
