"""Push the remediation to each device, verify, save; on any failure restore that device.

Per device, in one worker thread:
1. connect (a failure here leaves the device untouched: `unreachable`);
2. read the running config and back it up (the in-memory copy is the restore point);
3. compute the hier_config remediation; nothing to do: `unchanged`;
4. push it in blocks, every line's answer checked (`send`), the banner apart;
5. read back: the running config must now need no remediation; then `write memory`: `ok`;
6. any failure in 4-5: reconnect, push the remediation from the current running config back
   to the backup, read back and compare: `failed-rolled-back`, or `failed-rollback-failed`.
Other devices carry on; each result says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pdc.wan import connect, diff, send
from pdc.wan.backup import BackupRun
from pdc.wan.credentials import Credentials
from pdc.wan.report import Result

# Measured on 2 cores, full haiduong push (248 switches, ~145 lines each, from day 0, lines sent
# in blocks): 16 workers 18.9 s, 24 workers 16.9 s, 32 workers 15.5 s, 48 workers 15.1 s. Both
# cores are busy from 32 on (the client's SSH and hier_config, the switches' emulator).
# bench/wan.py re-measures it.
DEFAULT_WORKERS = 32
# A config line answers in milliseconds; a dropped session shows only as silence.
READ_TIMEOUT = 10


class PushError(RuntimeError):
    pass


@dataclass
class Job:
    target: connect.Target
    intended: str
    creds: Credentials
    apply: bool
    backups: BackupRun | None
    session_dir: Path | None

    @property
    def site(self) -> str:
        return self.target.site.id


def push_device(job: Job) -> Result:
    redact = job.creds.redactor()
    log = job.session_dir / f"{job.site}.log" if job.session_dir else None
    try:
        conn = connect.connect(job.target, job.creds, log)
    except Exception as exc:  # noqa: BLE001 - any failure to connect: untouched
        return Result(job.site, connect.failure_status(exc), f"untouched: {connect.classify(exc)}")
    try:
        try:
            before = connect.running_config(conn)
        except Exception as exc:  # noqa: BLE001
            return Result(job.site, "unreachable", f"untouched: cannot read the running config ({_why(exc)})")
        backup = str(job.backups.write(job.site, before)) if job.backups else None
        intended = diff.parse(job.intended)  # once: it is compared twice
        change = diff.change(before, intended)
        if change.empty:
            return Result(job.site, "unchanged", backup=backup)
        if not job.apply:
            return Result(job.site, "planned", "dry run", lines=change.size, backup=backup,
                          details={"remediation": redact(change.text())})
        try:
            _send(conn, change)
            after = connect.running_config(conn)
            left = diff.change(after, intended)
            if not left.empty:
                first = redact(left.text().splitlines()[0])
                raise PushError(f"verify: {left.size} intended line(s) missing after the push (first: {first!r})")
            saved = conn.save_config()
            if "[OK]" not in saved:
                raise PushError("write memory did not confirm [OK]")
            return Result(job.site, "ok", lines=change.size, backup=backup)
        except Exception as exc:  # noqa: BLE001 - every failure is rolled back
            reason = redact(_why(exc))
            _close(conn)
            conn = None
            return _rollback(job, before, reason, change.size, backup)
    finally:
        if conn is not None:
            _close(conn)


def _send(conn, change: diff.Change) -> None:
    if change.lines:
        send.send_lines(conn, change.lines, READ_TIMEOUT)
    if change.banner:
        send.send_banner(conn, change.banner, READ_TIMEOUT)
    conn.set_base_prompt()  # the hostname may have changed


def _rollback(job: Job, before: str, reason: str, lines: int, backup: str | None) -> Result:
    log = job.session_dir / f"{job.site}.rollback.log" if job.session_dir else None
    try:
        conn = connect.connect(job.target, job.creds, log)
    except Exception as exc:  # noqa: BLE001
        return Result(job.site, "failed-rollback-failed",
                      f"{reason}; rollback: cannot reconnect ({connect.classify(exc)})", lines, backup=backup)
    try:
        now = connect.running_config(conn)
        restore = diff.change(now, before)
        if not restore.empty:
            _send(conn, restore)
        check = diff.change(connect.running_config(conn), before)
        if not check.empty:
            return Result(job.site, "failed-rollback-failed",
                          f"{reason}; rollback: {check.size} line(s) still differ from the backup", lines,
                          backup=backup)
        return Result(job.site, "failed-rolled-back", f"{reason}; restored to the pre-push config", lines,
                      backup=backup, details={"restored_lines": restore.size})
    except Exception as exc:  # noqa: BLE001
        return Result(job.site, "failed-rollback-failed", f"{reason}; rollback: {_why(exc)}", lines,
                      backup=backup)
    finally:
        _close(conn)


def _why(exc: BaseException) -> str:
    from netmiko.exceptions import ConfigInvalidException, ReadTimeout

    if isinstance(exc, ConfigInvalidException):
        m = re.search(r"at command: (.*), matched error: (.*)$", str(exc))
        return f"device refused {m.group(1)!r} ({m.group(2)})" if m else f"device refused a line: {exc}"
    if isinstance(exc, ReadTimeout):
        return f"no answer from the device within {READ_TIMEOUT}s (connection dropped?)"
    if isinstance(exc, OSError | EOFError):
        return f"connection lost during the push ({type(exc).__name__}: {exc})"
    return f"{type(exc).__name__}: {exc}"


def _close(conn) -> None:
    try:
        conn.disconnect()
    except Exception:  # noqa: BLE001, S110 - the session may already be gone
        pass
