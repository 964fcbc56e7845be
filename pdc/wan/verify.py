"""Read-only jobs: back up, diff and verify each device against its intended config; and diff a
saved running config (a backup) with no device session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pdc import yamlsource
from pdc.schema import Site
from pdc.wan import backup, connect, diff, redact
from pdc.wan.backup import BackupRun
from pdc.wan.credentials import Credentials
from pdc.wan.report import Result

CONFIG_MAX_BYTES = 4 * 1024 * 1024  # a saved running config; a large IOS config is well under 1 MiB


@dataclass
class ReadJob:
    target: connect.Target
    intended: str | None
    creds: Credentials
    backups: BackupRun | None = None

    @property
    def site(self) -> str:
        return self.target.site.id


@dataclass
class Configs:
    running: str
    startup: str
    platform: str = "cisco_ios"

    @property
    def saved(self) -> bool:
        return diff.saved_equals_running(self.running, self.startup, self.platform)


def _read(job: ReadJob, with_startup: bool = True) -> tuple[Configs | None, Result | None]:
    try:
        conn = connect.connect(job.target, job.creds)
    except Exception as exc:  # noqa: BLE001
        return None, Result(job.site, connect.failure_status(exc), connect.classify(exc))
    try:
        platform = job.target.site.platform
        running = connect.running_config(conn, platform)
        startup = connect.startup_config(conn, platform) if with_startup else running
        return Configs(running, startup, platform), None
    except Exception as exc:  # noqa: BLE001
        return None, Result(job.site, "unreachable", f"cannot read the device's config ({type(exc).__name__})")
    finally:
        try:
            conn.disconnect()
        except Exception:  # noqa: BLE001, S110
            pass


def read_running(job: ReadJob) -> tuple[str | None, Result | None]:
    """The device's running config, or the failure that kept it from being read (the audit's read path)."""
    configs, failure = _read(job, with_startup=False)
    return (None, failure) if failure else (configs.running, None)


def backup_device(job: ReadJob) -> Result:
    configs, failure = _read(job, with_startup=False)
    if failure:
        return failure
    path = job.backups.write(job.site, configs.running)
    return Result(job.site, "ok", backup=str(path))


UNSAVED = "the running config differs from the startup config (not saved: a reload would lose it)"


def diff_device(job: ReadJob) -> Result:
    """`changes` with the remediation in details, `unsaved` when only the save is missing, or `unchanged`."""
    configs, failure = _read(job)
    if failure:
        return failure
    try:
        change = diff.change(configs.running, job.intended, configs.platform)
    except Exception as exc:  # noqa: BLE001
        return Result(job.site, "error", f"cannot compare: {type(exc).__name__}: {exc}")
    if change.empty:
        return Result(job.site, "unchanged") if configs.saved else Result(job.site, "unsaved", UNSAVED)
    return Result(job.site, "changes", "" if configs.saved else f"also {UNSAVED}", lines=change.size,
                  details={"remediation": job.creds.redactor()(change.text()), "saved": configs.saved})


def verify_device(job: ReadJob) -> Result:
    """`compliant` when the running config needs no remediation to match the intended one and is saved."""
    result = diff_device(job)
    if result.status == "unchanged":
        result.status = "compliant"
    elif result.status == "changes":
        result.status = "drift"
        result.reason = "; ".join(filter(None, [f"{result.lines} intended line(s) missing or different",
                                                result.reason]))
    return result


@dataclass
class SavedJob:
    """A device's intended config against its running config saved in a file (no session)."""

    device: Site
    intended: str
    running_file: Path

    @property
    def site(self) -> str:
        return self.device.id


def diff_saved(job: SavedJob) -> Result:
    """`changes` with the remediation, or `unchanged`; secret values are not compared (a backup
    holds <redacted> where the render holds <secret:...>: both sides get the redaction mark)."""
    if not job.running_file.exists() and not job.running_file.is_symlink():
        return Result(job.site, "error", f"no saved running config {job.running_file}")
    try:
        text = yamlsource.read_bounded(job.running_file, str(job.running_file), limit=CONFIG_MAX_BYTES).decode()
    except yamlsource.SourceError as exc:
        return Result(job.site, "error", f"saved running config {exc.file}: {exc.message}")
    except UnicodeDecodeError:
        return Result(job.site, "error", f"cannot read {job.running_file}: not UTF-8 text")
    platform = job.device.platform
    try:
        change = diff.change(redact.redact(backup.clean(text)), redact.redact(job.intended), platform)
    except Exception as exc:  # noqa: BLE001 - one file's failure is reported, the others go on
        return Result(job.site, "error", f"cannot compare {job.running_file}: {type(exc).__name__}")
    if change.empty:
        return Result(job.site, "unchanged")
    return Result(job.site, "changes", lines=change.size, details={"remediation": change.text(), "saved": True})
