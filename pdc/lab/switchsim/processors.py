"""IOS command modes on fake-switches' command-processing framework.

fake-switches provides the session, the `enable` password dialogue, `| include` piping
and sub-mode plumbing; these processors replace its Cisco exec and config processors
so that every configured line is kept (see ``store``), `end` works, malformed lines
are refused like IOS does, and the lab's fault injection can act on each line.
"""

from __future__ import annotations

import logging

from fake_switches.cisco.command_processor.default import DefaultCommandProcessor
from fake_switches.cisco.command_processor.enabled import version_text
from fake_switches.command_processing.base_command_processor import BaseCommandProcessor
from fake_switches.command_processing.shell_session import ShellSession

from pdc.lab.switchsim import grammar
from pdc.lab.switchsim.store import INCOMPLETE, INVALID, ConfigError, RollbackRefused, Section

log = logging.getLogger("pdc.switchsim")


class DropConnection(Exception):
    """Raised to make the shell cut the SSH connection (fault injection)."""


def _invalid(processor: BaseCommandProcessor, line: str, message: str = INVALID) -> None:
    if message == INVALID or message.startswith(INVALID):
        processor.write_line(" " * (len(processor.get_prompt()) + max(0, len(line) - len(line.lstrip()))) + "^")
    processor.write_line(message)
    processor.write_line("")


class IosSession(ShellSession):
    def handle_unknown_command(self, line: str) -> None:
        proc = self.command_processor
        while proc.sub_processor is not None:
            proc = proc.sub_processor
        _invalid(proc, line)


class UserProcessor(DefaultCommandProcessor):
    """`host>`: fake-switches' enable dialogue, plus what Netmiko sends before `enable`."""

    def do_terminal(self, *args):
        pass

    def do_exit(self, *args):
        self.is_done = True

    def do_show(self, *args):
        if args and "version".startswith(args[0]):
            self.write_line(_version(self.switch_configuration))
        else:
            _invalid(self, "show")


class ExecProcessor(BaseCommandProcessor):
    """`host#`: show, configure, write memory, copy."""

    def __init__(self, device, config_processor: ConfigProcessor):
        super().__init__()
        self.device = device
        self.config_processor = config_processor

    def get_prompt(self):
        return self.device.config.hostname + "#"

    def do_enable(self, *args):
        pass

    def do_disable(self, *args):
        self.is_done = True

    def do_terminal(self, *args):
        pass

    def do_exit(self, *args):
        self.is_done = True

    def do_end(self, *args):
        pass

    def do_configure(self, *args):
        words = list(args)
        line = "configure " + " ".join(words)
        if words and len(words[0]) >= 2 and "confirm".startswith(words[0]) and len(words) == 1:
            # any session may confirm the pending change (the timer is the device's, not the session's)
            shell = self.terminal_controller
            self.device.confirm_rollback(getattr(shell, "user", "unknown"), getattr(shell, "peer", "unknown"))
            return
        if words and len(words[0]) >= 3 and "revert".startswith(words[0]):
            self._revert(words[1:], line)
            return
        if words and not "terminal".startswith(words[0]):
            _invalid(self, line)
            return
        if len(words) > 1:
            minutes = _revert_timer(words[1:])
            if minutes is None:
                _invalid(self, line)
                return
            try:
                archive = self.device.arm_rollback(minutes)
            except RollbackRefused as exc:
                self.write_line(str(exc))
                return
            self.write_line(f"Rollback Confirmed Change: Backing up current running config to {archive}")
            self.write_line("")
        self.write_line("Enter configuration commands, one per line.  End with CNTL/Z.")
        self.move_to(self.config_processor)

    def _revert(self, words: list[str], line: str) -> None:
        """`configure revert now` (roll back at once) or `configure revert timer N` (restart the timer)."""
        if words and "now".startswith(words[0]) and len(words) == 1:
            if self.device.rollback is None:
                self.write_line("%No Rollback Confirmed Change pending")
                return
            self.device.expire()
            return
        minutes = _revert_timer(words) if words and words[0] != "idle" else None
        if minutes is None:
            _invalid(self, line)
        elif not self.device.reset_rollback_timer(minutes):
            self.write_line("%No Rollback Confirmed Change pending")

    def do_write(self, *args):
        if args and not "memory".startswith(args[0]):
            _invalid(self, "write " + " ".join(args))
            return
        self._save()

    def do_copy(self, *args):
        if len(args) == 2 and "running-config".startswith(args[0]) and "startup-config".startswith(args[1]):
            self._save()
        else:
            _invalid(self, "copy " + " ".join(args))

    def _save(self):
        self.write_line("Building configuration...")
        delay = self.device.faults.save_delay
        if not delay:
            self.device.config.save()
            self.write_line("[OK]")
            return
        # fault: NVRAM is slow. The save lands (and the prompt returns) only after `delay` seconds; the
        # reactor serves the other switches meanwhile. A session killed in between leaves startup old
        # until then, which is what a test of "killed before the save" needs.
        from twisted.internet import reactor

        log.info("%s: write memory delayed %ss (fault)", self.device.name, delay)
        self.awaiting_keystroke = True  # fake-switches shows no prompt while this is set
        reactor.callLater(delay, self._finish_delayed_save)

    def _finish_delayed_save(self):
        self.device.config.save()
        self.awaiting_keystroke = False
        self.write_line("[OK]")
        self.show_prompt()
        try:
            self.terminal_controller.flush()
        except Exception:  # noqa: BLE001, S110 - the session may be gone; the save has landed
            pass

    def do_show(self, *args):
        if not args:
            self.write_line(INCOMPLETE)
            return
        what = args[0]
        rest = list(args[1:])
        if "running-config".startswith(what) and len(what) >= 3:
            self._show_config(self.device.config.root)
        elif "startup-config".startswith(what) and len(what) >= 3:
            if self.device.config.startup is None:
                self.write_line("startup-config is not present")
            else:
                self._show_config(self.device.config.startup, startup=True)
        elif "version".startswith(what):
            self.write_line(_version(self.switch_configuration))
        elif "vlan".startswith(what) and (not rest or "brief".startswith(rest[0])):
            self._show_vlan_brief()
        elif what == "ip" and len(rest) == 2 and "interface".startswith(rest[0]) and "brief".startswith(rest[1]):
            self._show_ip_interface_brief()
        elif what == "ip" and rest and "route".startswith(rest[0]):
            self._show_ip_route()
        elif "ntp".startswith(what) and len(what) >= 2 and rest and "associations".startswith(rest[0]):
            for line in self.device.plane.show_ntp_associations():
                self.write_line(line)
        else:
            _invalid(self, "show " + " ".join(args))

    def _show_config(self, root: Section, startup: bool = False):
        body = self.device.config.render(root)
        if startup:  # IOS heads the startup config with its NVRAM use
            self.write_line(f"Using {len(body)} out of 262144 bytes")
        else:
            self.write_line("Building configuration...")
            self.write_line("")
            self.write_line(f"Current configuration : {len(body)} bytes")
        for line in body.splitlines():
            self.write_line(line)

    def _show_vlan_brief(self):
        config = self.device.config
        members: dict[int, list[str]] = {}
        for section in config.sections("interface "):
            name = section.text.split(" ", 1)[1]
            if not name.startswith(("FastEthernet", "GigabitEthernet")):
                continue
            texts = {c.text for c in section.children}
            if "switchport mode trunk" in texts or "no switchport" in texts:
                continue
            vlan = next((int(t.split()[-1]) for t in texts if t.startswith("switchport access vlan ")), 1)
            members.setdefault(vlan, []).append(_short(name))
        self.write_line("")
        self.write_line("VLAN Name                             Status    Ports")
        self.write_line("---- -------------------------------- --------- -------------------------------")
        vlans = []
        for section in config.sections("vlan "):
            number = int(section.text.split()[1])
            name = next((c.text.split(" ", 1)[1] for c in section.children if c.text.startswith("name ")),
                        "default" if number == 1 else f"VLAN{number:04d}")
            vlans.append((number, name))
        for number, name in sorted(vlans):
            ports = members.get(number, [])
            chunks = [", ".join(ports[i:i + 4]) for i in range(0, len(ports), 4)] or [""]
            self.write_line(f"{number:<4} {name:<32} {'active':<9} {chunks[0]}".rstrip())
            for chunk in chunks[1:]:
                self.write_line(" " * 48 + chunk)

    def _show_ip_interface_brief(self):
        self.write_line("Interface              IP-Address      OK? Method Status                Protocol")
        for section in self.device.config.sections("interface "):
            name = section.text.split(" ", 1)[1]
            texts = [c.text for c in section.children]
            address = next((t.split()[2] for t in texts if t.startswith("ip address ") and "secondary" not in t),
                           "unassigned")
            method = "manual" if address != "unassigned" else "unset"
            down = "shutdown" in texts
            status = "administratively down" if down else "up"
            protocol = "down" if down else "up"
            self.write_line(f"{name:<22} {address:<15} YES {method:<6} {status:<21} {protocol}")

    def _show_ip_route(self):
        self.write_line("Codes: C - connected, S - static, O - OSPF")
        self.write_line("")
        for section in self.device.config.sections("ip route "):
            words = section.text.split()
            self.write_line(f"S        {words[2]} [1/0] via {words[4]}")


class ConfigProcessor(BaseCommandProcessor):
    """`host(config)#` and every sub-mode, driven by ``grammar`` and stored in ``store``."""

    def __init__(self, device):
        super().__init__()
        self.device = device

    def init(self, *args, **kwargs):
        super().init(*args, **kwargs)
        self.mode = "global"
        self.section: Section = self.device.config.root
        self.banner: tuple[str, str, list[str]] | None = None
        self.before: str | None = None  # the running config when this visit to config mode began
        self.ntp_before: list[str] = []

    def _entered(self) -> None:
        if self.before is None:
            self.before = self.device.config.render()
            self.ntp_before = self.device.plane.ntp_servers()

    def _left(self) -> None:
        """Leaving config mode: IOS logs %SYS-5-CONFIG_I when the running config changed."""
        before, self.before = self.before, None
        if before is not None and before != self.device.config.render():
            shell = self.terminal_controller
            self.device.configured(getattr(shell, "user", "unknown"), getattr(shell, "peer", "unknown"),
                                   self.ntp_before)

    def get_prompt(self):
        if self.banner is not None:
            return ""
        return f"{self.device.config.hostname}({grammar.PROMPTS[self.mode]})#"

    def parse_and_execute_command(self, line: str) -> bool:
        self._entered()
        if self.banner is not None:
            self._banner_line(line)
            return True
        text = grammar.canonical(" ".join(line.split()))
        if not text or text.startswith("!"):
            return True
        self.device.on_config_line(text)  # fault injection: may raise DropConnection
        rejected = self.device.rejected(text)
        if rejected:
            _invalid(self, line)
            return True
        try:
            self._execute(text)
        except ConfigError as exc:
            _invalid(self, line, str(exc))
        return True

    def _execute(self, text: str) -> None:
        if text in ("end",) or text == "\x1a":
            self.is_done = True
            self._left()
            return
        if text == "exit":
            if self.mode == "global":
                self.is_done = True
                self._left()
            else:
                self._leave()
            return
        if text.startswith("do "):
            raise ConfigError(INVALID)
        if text.startswith("banner "):
            self._banner_start(text)
            return
        negate = text.startswith("no ")
        body = text[3:] if negate else text
        # a sub-mode line first; otherwise IOS tries the line globally and leaves the sub-mode
        if self.mode != "global" and self._apply(self.mode, self.section, body, negate):
            return
        if self._apply("global", self.device.config.root, body, negate, leave=True):
            return
        if grammar.is_incomplete(self.mode, body) or grammar.is_incomplete("global", body):
            raise ConfigError(INCOMPLETE)
        raise ConfigError(INVALID)

    def _apply(self, mode: str, parent: Section, body: str, negate: bool, leave: bool = False) -> bool:
        rule = grammar.match(mode, body)
        config = self.device.config
        if negate:
            if rule is None and not grammar.DEFAULT_ON[mode].match(body) and \
                    not any(c.text == body or c.text.startswith(body + " ") for c in parent.children):
                return False
            if leave:
                self._leave()
            config.negate(parent, mode, body)
            return True
        if rule is None:
            return False
        if leave:
            self._leave()
        if rule.enters:
            self.section = config.enter(rule.enters, body)
            self.mode = rule.enters
            return True
        config.set(parent, mode, body, rule)
        return True

    def _leave(self) -> None:
        self.mode = "global"
        self.section = self.device.config.root

    # banners: `banner motd ^C`, the text lines, then a line with the delimiter
    def _banner_start(self, text: str) -> None:
        words = text.split(" ", 2)
        if len(words) < 3 or words[1] not in ("motd", "login", "exec"):
            raise ConfigError(INCOMPLETE if len(words) < 3 else INVALID)
        rest = words[2]
        delimiter = "^C" if rest.startswith("^C") else rest[0]
        after = rest[len(delimiter):]
        if delimiter in after:  # one-line banner
            self.device.config.set_banner(words[1], delimiter, [after.split(delimiter)[0]])
            return
        self.write_line(f"Enter TEXT message.  End with the character '{delimiter}'.")
        self.banner = (words[1], delimiter, [after] if after else [])

    def _banner_line(self, line: str) -> None:
        kind, delimiter, body = self.banner
        if delimiter in line:
            head = line.split(delimiter)[0]
            if head:
                body.append(head)
            self.banner = None
            self.device.config.set_banner(kind, delimiter, body)
        else:
            body.append(line.rstrip("\r"))


def _revert_timer(words: list[str]) -> int | None:
    """`revert timer N` (N in minutes, 1-120) -> N; anything else -> None."""
    if len(words) == 3 and len(words[0]) >= 3 and "revert".startswith(words[0]) and \
            len(words[1]) >= 2 and "timer".startswith(words[1]) and words[2].isdigit():
        minutes = int(words[2])
        return minutes if 1 <= minutes <= 120 else None
    if len(words) == 2 and len(words[0]) >= 2 and "timer".startswith(words[0]) and words[1].isdigit():
        minutes = int(words[1])  # `configure revert timer N`
        return minutes if 1 <= minutes <= 120 else None
    return None


def _short(name: str) -> str:
    for long, short in (("FastEthernet", "Fa"), ("GigabitEthernet", "Gi"), ("TenGigabitEthernet", "Te")):
        if name.startswith(long):
            return short + name[len(long):]
    return name


def _version(switch_configuration) -> str:
    ports = switch_configuration.ports
    return version_text(hostname=switch_configuration.name, vlan_port_count=0, port_count=len(ports))
