"""Live facts of one host, gathered in as few round trips as possible.

Every check reads the host through ``Facts.run``; the suite prefetches the commands it
knows it will need in one SSH round trip (a TCG VM pays ~0.3 s per round trip), and
caches the outputs for the session, so each host is asked each thing once.
"""

from __future__ import annotations

import json
import re
import secrets
import shlex
from dataclasses import dataclass


@dataclass(frozen=True)
class Output:
    command: str
    rc: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.rc == 0

    def brief(self, limit: int = 600) -> str:
        text = (self.stdout.strip() or self.stderr.strip() or "(no output)")
        return f"$ {self.command}  [rc={self.rc}]\n{text[:limit]}{' ...' if len(text) > limit else ''}"


class HostUnreachable(RuntimeError):
    """The host could not be reached; every later check of it fails at once with the same reason."""


class Facts:
    def __init__(self, host):
        self.host = host
        self.cache: dict[str, Output] = {}
        self.unreachable: str | None = None

    def _remote(self, command: str, *args: str):
        if self.unreachable:
            raise HostUnreachable(self.unreachable)
        try:
            return self.host.run(command, *args)
        except RuntimeError as exc:  # testinfra's ssh backend: ssh itself failed (rc 255)
            result = exc.args[0] if exc.args else None
            detail = getattr(result, "stderr", "") or str(exc)
            self.unreachable = f"cannot reach the host over SSH: {detail.strip()[-300:]}"
            raise HostUnreachable(self.unreachable) from None

    def run(self, command: str) -> Output:
        if command not in self.cache:
            result = self._remote(command)
            self.cache[command] = Output(command, result.rc, result.stdout, result.stderr)
        return self.cache[command]

    def prefetch(self, commands: list[str]) -> None:
        """Run every not-yet-cached command in one remote shell; split the output per command."""
        todo = [c for c in dict.fromkeys(commands) if c not in self.cache]
        if not todo:
            return
        tag = secrets.token_hex(6)
        parts = ['e=$(mktemp)']
        for i, command in enumerate(todo):
            parts.append(
                f"echo '@@{tag} {i} out'; ( {command} ) 2>\"$e\" </dev/null; r=$?; "
                f"echo; echo '@@{tag} {i} err'; cat \"$e\"; echo; echo \"@@{tag} {i} rc $r\"")
        parts.append('rm -f "$e"')
        result = self._remote("sh -c %s", "\n".join(parts))
        for i, command in enumerate(todo):
            out = _between(result.stdout, f"@@{tag} {i} out\n", f"\n@@{tag} {i} err\n")
            err = _between(result.stdout, f"@@{tag} {i} err\n", f"\n@@{tag} {i} rc ")
            rc = re.search(rf"@@{tag} {i} rc (\d+)", result.stdout)
            if out is None or rc is None:
                continue  # the batch broke off: this command runs on its own when asked
            self.cache[command] = Output(command, int(rc.group(1)), out.removesuffix("\n"),
                                         (err or "").removesuffix("\n"))

    # ------------------------------------------------------------ parsed views

    def sshd(self) -> dict[str, str]:
        """Effective sshd settings (sshd -T): keyword -> value (repeated keywords joined by ',')."""
        out: dict[str, str] = {}
        for line in self.run(SSHD_T).stdout.splitlines():
            key, _, value = line.strip().partition(" ")
            if key:
                out[key] = f"{out[key]},{value}" if key in out and key in _MULTI else value
        return out

    def sysctl(self, key: str) -> str | None:
        values = parse_sysctl(self.run(SYSCTL).stdout)
        return values.get(key)

    def mounts(self) -> dict[str, dict]:
        data = json.loads(self.run(FINDMNT).stdout or '{"filesystems": []}')
        return {fs["target"]: fs for fs in _flatten(data.get("filesystems", []))}

    def packages(self) -> dict[str, str]:
        """Installed packages: name -> version (only status 'installed')."""
        out = {}
        for line in self.run(DPKG).stdout.splitlines():
            name, status, version = (line.split("\t") + ["", ""])[:3]
            if status == "installed":
                out[name.split(":")[0]] = version
        return out

    def unit(self, name: str) -> dict[str, str]:
        text = self.run(unit_command(name)).stdout
        return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)

    def file(self, path: str) -> Output:
        return self.run(file_command(path))

    def stat(self, path: str) -> dict | None:
        """mode (octal string), owner, group, type of a path; None when it does not exist."""
        out = self.run(stat_command(path))
        if not out.ok:
            return None
        mode, owner, group, kind = out.stdout.strip().split(" ", 3)
        return {"mode": mode, "owner": owner, "group": group, "type": kind}

    def nft(self) -> dict:
        out = self.run(NFT_JSON)
        return json.loads(out.stdout) if out.ok and out.stdout.strip() else {"nftables": []}

    def listening(self) -> list[dict]:
        """Listening TCP/UDP sockets: proto, address, port, process."""
        out = []
        for line in self.run(SS).stdout.splitlines():
            fields = line.split()
            if len(fields) < 5:
                continue
            proto, local = fields[0], fields[4]
            address, _, port = local.rpartition(":")
            process = re.search(r'users:\(\("([^"]+)"', line)
            out.append({"proto": proto, "address": address.strip("[]").split("%")[0], "port": int(port),
                        "process": process.group(1) if process else ""})
        return out

    def virt_container(self) -> bool:
        out = self.run(DETECT_CONTAINER)
        return out.rc == 0 and out.stdout.strip() not in ("", "none")


def unit_command(name: str) -> str:
    return (f"systemctl show {shlex.quote(name)} -p Id,LoadState,ActiveState,UnitFileState,"
            f"MainPID,ExecMainStartTimestamp --no-pager")


def file_command(path: str) -> str:
    return f"cat {shlex.quote(path)}"


def stat_command(path: str) -> str:
    return f"stat -c '%a %U %G %F' {shlex.quote(path)}"


def _between(text: str, start: str, end: str) -> str | None:
    a = text.find(start)
    if a < 0:
        return None
    a += len(start)
    b = text.find(end, a)
    return None if b < 0 else text[a:b]


def _flatten(filesystems: list[dict]):
    for fs in filesystems:
        yield fs
        yield from _flatten(fs.get("children", []))


def parse_sysctl(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(" = ")
        if sep:
            out[key.strip()] = " ".join(value.split())
    return out


_MULTI = {"allowgroups", "allowusers", "denyusers", "denygroups", "listenaddress", "hostkey", "subsystem",
          "include", "acceptenv", "setenv", "permitlisten", "permitopen"}

SSHD_T = "sshd -T"
SYSCTL = "sysctl -a"
FINDMNT = "findmnt -J -o TARGET,FSTYPE,OPTIONS"
DPKG = "dpkg-query -W -f '${Package}\\t${db:Status-Status}\\t${Version}\\n'"
NFT_JSON = "nft -j list ruleset"
NFT_TEXT = "nft list ruleset"
SS = "ss -H -tulpn"
DETECT_CONTAINER = "systemd-detect-virt --container"
CHRONY_SOURCES = "chronyc -n -c sources"
AUDIT_STATUS = "auditctl -s"
AUDIT_RULES = "auditctl -l"

MODPROBE_CONFIG = ("modprobe --showconfig 2>/dev/null || "
                   "cat /etc/modprobe.d/*.conf /lib/modprobe.d/*.conf /usr/lib/modprobe.d/*.conf 2>/dev/null")
RSYSLOG_CONF = "cat /etc/rsyslog.conf /etc/rsyslog.d/*.conf 2>/dev/null"
LOGIN_SHELL = "bash -lc 'umask; echo TMOUT=$TMOUT; readonly -p | grep -c \" TMOUT=\" || true'"
PWQUALITY = "cat /etc/security/pwquality.conf /etc/security/pwquality.conf.d/*.conf 2>/dev/null"
DEBSUMS = "debsums -s openssh-server"  # silent unless a shipped file changed; quick (one package)

# What every host is asked up front, in one round trip.
COMMON = [DETECT_CONTAINER, SSHD_T, SYSCTL, FINDMNT, DPKG, NFT_JSON, NFT_TEXT, SS, CHRONY_SOURCES,
          AUDIT_STATUS, AUDIT_RULES, MODPROBE_CONFIG, RSYSLOG_CONF, LOGIN_SHELL, PWQUALITY, DEBSUMS]
