"""Push the remediation to each device, verify, save; on any failure restore that device.

Per device, in one worker thread:
1. connect (a failure here leaves the device untouched: `unreachable`);
2. read the running and startup configs and back up the running one (the in-memory copy is the
   restore point); unsaved lines that pdc would not push itself: `unsaved`, untouched;
3. compute the hier_config remediation; nothing to do: `unchanged` (or, when only pdc's own earlier
   push is unsaved, save it: `ok`);
4. check the change against the controller's own management path (`lockout`): `refused-lockout`,
   untouched, unless the guard is overridden;
5. push it in blocks, every line's answer checked (`send`), the banner apart. On a platform with a
   device-side revert (IOS: `configure terminal revert timer N`, minutes), the archive it needs is
   enabled first when missing (its own small change, outside the timer), then the change opens with the
   timer: the device archives its running config and restores it by itself unless confirmed in time;
6. read back: the running config must now need no remediation. With a revert timer, a NEW session
   from the controller must log in and confirms the change (`configure confirm`: the timer is the
   device's, any session may confirm; the new one proves the path and privilege the next run needs).
   When it cannot log in, nothing is confirmed: pdc waits for the device's revert, logs in again,
   checks the running config equals the archived one (the backup) and reports `reverted-by-device`.
   Then `write memory` and the startup config must equal the running one: `ok`;
7. any other failure in 5-6: push the remediation from the current running config back to the backup,
   over the same session while it lives (a new session is proven to log in before it is closed), else
   over a new one; read back, compare, confirm a pending timer, save: `failed-rolled-back`, or
   `failed-rollback-failed`; when no session can get back in while a timer is pending, wait for the
   device's revert as in 6.
Other devices carry on; each result says why.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path

from pdc.wan import connect, credentials, diff, lockout, send
from pdc.wan.backup import BackupRun
from pdc.wan.credentials import Credentials
from pdc.wan.platforms import SaveNotConfirmed
from pdc.wan.report import Result

# Devices in flight at once: a device spends most of its push waiting for answers, so many run
# side by side until the controller's CPU (SSH, hier_config) is the limit; bench/wan.py times a
# full haiduong push with it.
DEFAULT_WORKERS = 32
# A config line answers in milliseconds; a dropped session shows only as silence.
READ_TIMEOUT = 10
# The device's own revert: the timer a change opens with, in minutes (IOS's unit, 1-120). A push that
# confirms takes seconds; one that cannot log in again waits for the device: the timer, then GRACE, with
# a login tried every POLL s (growing to POLL_MAX s).
REVERT_MINUTES = 5
REVERT_GRACE = 60.0
REVERT_POLL = 2.0
REVERT_POLL_MAX = 15.0


class PushError(RuntimeError):
    pass


@dataclass
class Revert:
    """A change opened with the device's revert timer and not confirmed yet."""

    base: str  # the running config the device archived when the timer opened: what it reverts to
    opened: float  # time.monotonic() when the timer opened
    archive_enabled: bool  # pdc enabled the archive just before (outside the timer)
    minutes: int = REVERT_MINUTES


class LoginLost(RuntimeError):
    """A restore landed, but a new session cannot log in: the device's own revert is the way back."""


@dataclass
class Job:
    target: connect.Target
    intended: str
    creds: Credentials
    apply: bool
    backups: BackupRun | None
    session_dir: Path | None
    allow_lockout: bool = False
    # the running config each device was left with (ok, unchanged, planned, rolled back), by site, for the
    # config archive (pdc.wan.archive); shared by every job of a run, one key per device
    settled: dict[str, str] | None = None

    @property
    def site(self) -> str:
        return self.target.site.id

    @property
    def platform(self) -> str:
        return self.target.site.platform


def push_device(job: Job) -> Result:
    placeholder = credentials.holds_placeholder(job.intended)
    if placeholder or isinstance(job.creds, credentials.Placeholders):
        # a config rendered for reading would set the marker itself as a password: never sent
        return Result(job.site, "refused-placeholder",
                      f"untouched: the intended config holds the placeholder {placeholder or 'credentials'}; "
                      "a push needs the real credentials (PDC_WAN_* or PDC_WAN_VAULT)")
    redact = job.creds.redactor()
    log = job.session_dir / f"{job.site}.log" if job.session_dir else None
    try:
        conn = connect.connect(job.target, job.creds, log)
    except Exception as exc:  # noqa: BLE001 - any failure to connect: untouched
        return Result(job.site, connect.failure_status(exc), f"untouched: {connect.classify(exc)}")
    try:
        try:
            before = connect.running_config(conn, job.platform)
            startup = connect.startup_config(conn, job.platform)
        except Exception as exc:  # noqa: BLE001
            return Result(job.site, "unreachable", f"untouched: cannot read the running and startup configs "
                                                   f"({_why(exc)})")
        backup = str(job.backups.write(job.site, before)) if job.backups else None
        _settle(job, before)  # replaced below by what the push leaves
        intended = diff.parse(job.intended, job.platform)  # once: it is compared twice
        notes = []
        if not diff.saved_equals_running(before, startup, job.platform):
            foreign = diff.unsaved_outside(before, startup, intended, job.platform)
            if foreign:
                return Result(job.site, "unsaved",
                              f"untouched: {len(foreign)} unsaved line(s) that pdc would not push "
                              f"(first: {lockout.without_secrets(redact(foreign[0]))!r}); save or revert them on "
                              f"the device first",
                              backup=backup)
            notes.append("the running config held an unsaved part of this very change (an interrupted push)")
        running = diff.parse(before, job.platform)  # once: the change and the lockout check both read it
        change = diff.change(running, intended, job.platform)
        if change.empty and not notes:
            return Result(job.site, "unchanged", backup=backup)
        if not change.empty:
            refusal = _lockout(job, conn, running, change)
            if refusal and not job.allow_lockout:
                return Result(job.site, "refused-lockout", redact(f"untouched: {refusal}"), change.size,
                              backup=backup)
            if refusal:
                notes.append(redact(f"lockout guard overridden (--allow-lockout): {refusal}"))
        if not job.apply:
            return Result(job.site, "planned", "; ".join(["dry run", *notes]), lines=change.size, backup=backup,
                          details={"remediation": redact(change.text())})
        size = change.size
        details = {"revert": job.target.driver.revert_note} if not change.empty else {}
        revert: Revert | None = None
        try:
            if not change.empty:
                if job.target.driver.reverts:
                    revert, change = _arm(conn, job, before, running, intended)
                if not change.empty:
                    _send(conn, change, job, revert)
                after = connect.running_config(conn, job.platform)
                left = diff.change(after, intended, job.platform)
                if not left.empty:
                    first = redact(left.text().splitlines()[0])
                    raise PushError(f"verify: {left.size} intended line(s) missing after the push (first: {first!r})")
                if revert is not None:
                    refused = _prove_and_confirm(job)
                    if refused is not None:
                        _close(conn)
                        conn = None
                        return _await_revert(job, revert, f"a new session cannot log in after the change "
                                                          f"({refused})", size, backup, notes)
                    details["revert"] += f" (timer {revert.minutes} min)"
                    revert = None
            _save(conn, job)
            if size:
                _settle(job, after)
            return Result(job.site, "ok", "; ".join(notes), lines=size, backup=backup, details=details)
        except Exception as exc:  # noqa: BLE001 - every failure is rolled back
            _settle(job, None)  # unknown until the rollback says
            reason = redact(_why(exc))
            result = _rollback(job, conn, before, reason, size, backup, revert)
            conn = None  # the rollback closed it
            return result
    finally:
        if conn is not None:
            _close(conn)


def _lockout(job: Job, conn, running, change: diff.Change) -> str | None:
    """Why the change would cut the controller's path to this device, or None."""
    try:
        source = IPv4Address(conn.remote_conn.get_transport().sock.getsockname()[0])
    except (AttributeError, OSError, ValueError) as exc:
        return f"cannot tell the controller's own address on this session ({type(exc).__name__})"
    try:
        device = IPv4Address(job.target.host)
    except ValueError:
        device = None
    controller = lockout.Controller(source, job.creds.username, device)
    future = diff.future(running, change, job.platform)
    return lockout.check(job.platform, lockout.lines_of(running), lockout.lines_of(future), change.lines,
                         controller)


def _arm(conn, job: Job, before: str, running, intended) -> tuple[Revert | None, diff.Change]:
    """Ready the device's revert: the archive lines first when the running config lacks them (a change of
    their own, outside the timer: the timer cannot open without them); then the change still to send,
    and the Revert its timer will restore (None when the archive was the whole change)."""
    chosen = job.target.driver
    base, enabled = before, False
    if not _holds(lockout.lines_of(running), chosen.revert_setup):
        send.send_lines(conn, list(chosen.revert_setup), READ_TIMEOUT, platform=chosen)
        base, enabled = connect.running_config(conn, job.platform), True
    change = diff.change(base, intended, job.platform)
    if change.empty:
        return None, change
    return Revert(base, time.monotonic(), enabled), change


def _holds(config: lockout.Lines, lines: tuple[str, ...]) -> bool:
    """The config has the section `lines` describes (its first line, then its children)."""
    if not lines:
        return True
    children = next((kids for text, kids in config if text == lines[0]), None)
    return children is not None and all(line.strip() in children for line in lines[1:])


def _prove_and_confirm(job: Job) -> str | None:
    """A new session logs in and confirms the pending change; why it could not log in, else None.
    A confirmation the device refuses raises (the change is then rolled back)."""
    log = job.session_dir / f"{job.site}.confirm.log" if job.session_dir else None
    try:
        proof = connect.connect(job.target, job.creds, log)
    except Exception as exc:  # noqa: BLE001 - any failure to log in: not confirmed
        return connect.classify(exc)
    try:
        _confirm(proof, job)
    finally:
        _close(proof)
    return None


def _confirm(conn, job: Job) -> None:
    command = job.target.driver.revert_confirm
    output = conn.send_command(command, read_timeout=READ_TIMEOUT)
    error = re.search(job.target.driver.error_pattern, output)
    if error:
        raise PushError(f"the device refused {command!r} ({error.group(0)})")


def _same(a: str, b: str, platform: str) -> bool:
    return diff.change(a, b, platform).empty and diff.change(b, a, platform).empty


def _await_revert(job: Job, revert: Revert, why: str, lines: int, backup: str | None,
                  notes: list[str] | None = None) -> Result:
    """Not confirmed: wait for the device to restore its archived config by itself, log in again, check
    the running config equals the archived one (saved, so a reload keeps it): `reverted-by-device`."""
    log = job.session_dir / f"{job.site}.revert.log" if job.session_dir else None
    deadline = revert.opened + revert.minutes * 60 + REVERT_GRACE
    delay, last = REVERT_POLL, why
    details = {"revert": job.target.driver.revert_note + f" (timer {revert.minutes} min, not confirmed)"}
    prefix = "; ".join([*(notes or []), why])
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            _settle(job, None)
            return Result(job.site, "failed-rollback-failed",
                          f"{prefix}; not confirmed, and the device was not found reverted within its "
                          f"{revert.minutes} min timer and {REVERT_GRACE:.0f}s (last: {last})", lines,
                          backup=backup, details=details)
        time.sleep(min(delay, remaining))
        delay = min(delay * 1.5, REVERT_POLL_MAX)
        try:
            conn = connect.connect(job.target, job.creds, log)
        except Exception as exc:  # noqa: BLE001 - not back yet
            last = f"login: {connect.classify(exc)}"
            continue
        try:
            now = connect.running_config(conn, job.platform)
            if not _same(now, revert.base, job.platform):
                last = "logged in, but the running config is not the archived one yet"
                continue
            if not diff.saved_equals_running(now, connect.startup_config(conn, job.platform), job.platform):
                _save(conn, job, now)  # only the archive lines pdc enabled can differ from the startup config
            _settle(job, now)
        except Exception as exc:  # noqa: BLE001
            last = _why(exc)
            continue
        finally:
            _close(conn)
        waited = time.monotonic() - revert.opened
        details["waited_seconds"] = round(waited, 1)
        equal = "its running config equals the backup" if not revert.archive_enabled else \
            "its running config equals the backup plus the archive lines pdc enabled before the change (saved)"
        return Result(job.site, "reverted-by-device",
                      f"{prefix}; not confirmed: the device reverted on its own ({waited:.0f}s after the change "
                      f"opened) and {equal}", lines, backup=backup, details=details)


def _send(conn, change: diff.Change, job: Job, revert: Revert | None = None) -> None:
    if change.lines:
        opening = job.target.driver.revert_open.format(minutes=revert.minutes) if revert is not None else None
        if revert is not None:
            revert.opened = time.monotonic()
        send.send_lines(conn, change.lines, READ_TIMEOUT, platform=job.target.driver, config_command=opening)
    if change.banner:
        send.send_banner(conn, change.banner, READ_TIMEOUT)
    conn.set_base_prompt()  # the hostname may have changed


def _save(conn, job: Job, running: str | None = None) -> None:
    """The platform's save; given the running config, also prove the startup config now equals it.

    The push trusts the device's acknowledgement (one more config read per device costs ~2 s over
    248 devices); the rollback, rarer and the last word on a device, reads the startup config back."""
    chosen = job.target.driver
    try:
        chosen.save(conn)
    except SaveNotConfirmed as exc:
        raise PushError(str(exc)) from None
    startup = connect.startup_config(conn, job.platform) if running is not None else None
    if running is not None and not diff.saved_equals_running(running, startup, job.platform):
        raise PushError(f"after {chosen.save_command!r} the startup config still differs from the running config")


def _rollback(job: Job, conn, before: str, reason: str, lines: int, backup: str | None,
              revert: Revert | None = None) -> Result:
    """Restore `before`. Over `conn` while it lives; a new session is opened only to replace a dead one,
    and, before the live one is closed, to prove that a new login works after the restore. With the
    device's revert timer pending: the restore is confirmed once proven; when no session gets back in,
    the device's own revert is awaited."""
    log = job.session_dir / f"{job.site}.rollback.log" if job.session_dir else None
    path = "over the same session"
    failure = None
    try:
        if conn is not None and _alive(conn):
            try:
                return _restore(job, conn, before, reason, lines, backup, path, prove_login=True, revert=revert)
            except LoginLost as exc:
                _close(conn)
                conn = None
                return _await_revert(job, revert, f"{reason}; rollback {path}: restored, but a new login fails "
                                                  f"({exc})", lines, backup)
            except Exception as exc:  # noqa: BLE001 - the old session failed too: it is as good as dead
                failure = _why(exc)
        _close(conn)
        conn = None
        path = "over a new session (the first one was dead" + (f": {failure})" if failure else ")")
        try:
            conn = connect.connect(job.target, job.creds, log)
        except Exception as exc:  # noqa: BLE001
            if revert is not None:
                return _await_revert(job, revert, f"{reason}; rollback {path}: cannot reconnect "
                                                  f"({connect.classify(exc)})", lines, backup)
            return Result(job.site, "failed-rollback-failed",
                          f"{reason}; rollback {path}: cannot reconnect ({connect.classify(exc)})", lines,
                          backup=backup)
        try:
            return _restore(job, conn, before, reason, lines, backup, path, prove_login=False, revert=revert)
        except Exception as exc:  # noqa: BLE001
            return Result(job.site, "failed-rollback-failed", f"{reason}; rollback {path}: {_why(exc)}", lines,
                          backup=backup)
    finally:
        _close(conn)


def _restore(job: Job, conn, before: str, reason: str, lines: int, backup: str | None, path: str,
             prove_login: bool, revert: Revert | None = None) -> Result:
    _resync(conn)
    now = connect.running_config(conn, job.platform)
    restore = diff.change(now, before, job.platform)
    if not restore.empty:
        _send(conn, restore, job)
    restored = connect.running_config(conn, job.platform)
    check = diff.change(restored, before, job.platform)
    if not check.empty:
        return Result(job.site, "failed-rollback-failed",
                      f"{reason}; rollback {path}: {check.size} line(s) still differ from the backup", lines,
                      backup=backup)
    details = {"restored_lines": restore.size, "rollback": path, "revert": job.target.driver.revert_note}
    if revert is not None:
        # the backup is back: prove a new login before stopping the device's timer (its revert is the
        # way back if that login fails), then confirm
        if prove_login:
            try:
                _close(connect.connect(job.target, job.creds))
            except Exception as exc:  # noqa: BLE001
                raise LoginLost(connect.classify(exc)) from None
            prove_login = False
        _confirm(conn, job)
        details["revert"] += " (pending timer confirmed after the restore)"
    _save(conn, job, restored)
    _settle(job, restored)
    if prove_login:
        try:
            _close(connect.connect(job.target, job.creds))
        except Exception as exc:  # noqa: BLE001
            return Result(job.site, "failed-rollback-failed",
                          f"{reason}; rollback {path}: restored and saved, but a new login fails "
                          f"({connect.classify(exc)})", lines, backup=backup)
    return Result(job.site, "failed-rolled-back",
                  f"{reason}; restored to the pre-push config {path} and saved", lines, backup=backup,
                  details=details)


def _settle(job: Job, running: str | None) -> None:
    if job.settled is not None:
        if running is None:
            job.settled.pop(job.site, None)
        else:
            job.settled[job.site] = running


def _alive(conn) -> bool:
    try:
        return conn.remote_conn is not None and not conn.remote_conn.closed and conn.is_alive()
    except Exception:  # noqa: BLE001
        return False


def _resync(conn) -> None:
    """Back to the exec prompt after a failure that may have left config mode or unread output."""
    conn.clear_buffer()
    if conn.check_config_mode():
        conn.exit_config_mode()
    conn.set_base_prompt()


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
    if conn is None:
        return
    try:
        conn.disconnect()
    except Exception:  # noqa: BLE001, S110 - the session may already be gone
        pass
