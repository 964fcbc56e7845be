"""`pdc wan drift ENV`: per device, the running config against three references.

- **intended** (the render): the remediation pdc would push (hier_config), as `pdc wan diff` shows it;
- **archived** (the last config committed to the archive, pdc.wan.archive): a change made on the device
  since pdc last read it, by hand or by anyone else, shown as a unified diff with the time of that
  archived version; a device with no archived config yet is reported as such (`not-archived`);
- **startup**: a running config that differs from the saved one (`unsaved`), with its diff.

Read-only: drift archives nothing (`pdc wan backup ENV` records the current configs, which is how a
reviewed hand change is accepted). Secret values are redacted on both sides before the archive
comparison, so a changed secret value is not seen there (the intended comparison, which uses the real
credentials, does see a changed pdc-managed secret).

Status per device: `compliant` (no finding) or `drift` (details.findings lists intended, archive,
not-archived, unsaved), or the read failure (unreachable, host-key-*).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from pdc.wan import diff
from pdc.wan.archive import Archived, normalise
from pdc.wan.report import Result
from pdc.wan.verify import ReadJob, _read

MAX_DIFF_LINES = 400  # a report stays readable; the archive's git history has the rest
READ_FAILURES = {"unreachable", "error", "host-key-mismatch", "host-key-unknown"}


@dataclass
class DriftJob(ReadJob):
    archived: Archived | None = None


def unified(before: str, after: str, before_name: str, after_name: str) -> tuple[str, int, int]:
    """The unified diff (context 1), and the counts of added and removed lines."""
    lines = list(difflib.unified_diff(before.splitlines(), after.splitlines(), before_name, after_name,
                                      lineterm="", n=1))
    added = sum(1 for x in lines if x.startswith("+") and not x.startswith("+++"))
    removed = sum(1 for x in lines if x.startswith("-") and not x.startswith("---"))
    if len(lines) > MAX_DIFF_LINES:
        lines = lines[:MAX_DIFF_LINES] + [f"... {len(lines) - MAX_DIFF_LINES} more diff line(s)"]
    return "\n".join(lines) + ("\n" if lines else ""), added, removed


def drift_device(job: DriftJob) -> Result:
    configs, failure = _read(job)
    if failure:
        return failure
    redactor = job.creds.redactor()
    findings: list[str] = []
    reasons: list[str] = []
    details: dict = {}
    try:
        change = diff.change(configs.running, job.intended, configs.platform)
    except Exception as exc:  # noqa: BLE001 - one device's failure is reported, the others go on
        return Result(job.site, "error", f"cannot compare with the intended config: {type(exc).__name__}")
    if not change.empty:
        findings.append("intended")
        reasons.append(f"{change.size} line(s) to remediate against the intended config")
        details["remediation"] = redactor(change.text())
    running = normalise(configs.running, redactor)
    if job.archived is None:
        findings.append("not-archived")
        reasons.append("no archived config to compare with (pdc wan backup ENV records one)")
    elif running != job.archived.text:
        stamp = job.archived.when.isoformat()
        text, added, removed = unified(job.archived.text, running, f"archived {stamp}", "running")
        findings.append("archive")
        reasons.append(f"changed since the config archived at {stamp} (+{added} -{removed} lines)")
        details["archive_diff"] = text
        details["archived_at"] = stamp
    elif job.archived is not None:
        details["archived_at"] = job.archived.when.isoformat()
    if not configs.saved:
        startup = normalise(configs.startup, redactor)
        text, added, removed = unified(startup, running, "startup", "running")
        findings.append("unsaved")
        reasons.append(f"unsaved: the running config differs from the startup config (+{added} -{removed} lines)")
        details["unsaved_diff"] = text
    details["findings"] = findings
    if not findings:
        return Result(job.site, "compliant", details=details)
    return Result(job.site, "drift", "; ".join(reasons), lines=change.size, details=details)


def exit_code(results: list[Result]) -> int:
    """1 when a device could not be read, else 2 when any drifts, else 0."""
    if any(r.status in READ_FAILURES for r in results):
        return 1
    return 2 if any(r.status == "drift" for r in results) else 0
