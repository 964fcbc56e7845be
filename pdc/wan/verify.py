"""Read-only jobs: back up, diff and verify each device against its intended config."""

from __future__ import annotations

from dataclasses import dataclass

from pdc.wan import connect, diff
from pdc.wan.backup import BackupRun
from pdc.wan.credentials import Credentials
from pdc.wan.report import Result


@dataclass
class ReadJob:
    target: connect.Target
    intended: str | None
    creds: Credentials
    backups: BackupRun | None = None

    @property
    def site(self) -> str:
        return self.target.site.id


def _read(job: ReadJob) -> tuple[str | None, Result | None]:
    try:
        conn = connect.connect(job.target, job.creds)
    except Exception as exc:  # noqa: BLE001
        return None, Result(job.site, connect.failure_status(exc), connect.classify(exc))
    try:
        return connect.running_config(conn), None
    except Exception as exc:  # noqa: BLE001
        return None, Result(job.site, "unreachable", f"cannot read the running config ({type(exc).__name__})")
    finally:
        try:
            conn.disconnect()
        except Exception:  # noqa: BLE001, S110
            pass


def backup_device(job: ReadJob) -> Result:
    running, failure = _read(job)
    if failure:
        return failure
    path = job.backups.write(job.site, running)
    return Result(job.site, "ok", backup=str(path))


def diff_device(job: ReadJob) -> Result:
    """`changes` with the remediation in details, or `unchanged`."""
    running, failure = _read(job)
    if failure:
        return failure
    try:
        change = diff.change(running, job.intended)
    except Exception as exc:  # noqa: BLE001
        return Result(job.site, "error", f"cannot compare: {type(exc).__name__}: {exc}")
    if change.empty:
        return Result(job.site, "unchanged")
    return Result(job.site, "changes", lines=change.size,
                  details={"remediation": job.creds.redactor()(change.text())})


def verify_device(job: ReadJob) -> Result:
    """`compliant` when the running config needs no remediation to match the intended one."""
    result = diff_device(job)
    if result.status == "unchanged":
        result.status = "compliant"
    elif result.status == "changes":
        result.status = "drift"
        result.reason = f"{result.lines} intended line(s) missing or different"
    return result
