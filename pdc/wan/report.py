"""Running a job on many devices with a progress bar, then the per-device table and JSON report."""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pdc import paths
from pdc.wan.redact import redact

# push statuses; diff/verify add their own (changes, compliant, drift). refused-lockout: the change
# would cut the controller's path; unsaved: running differs from startup; not-attempted: the run was
# interrupted before the device started; host-key-*: the device's SSH key is not the pinned one;
# refused-placeholder: the intended config was rendered without credentials; reverted-by-device: a new
# login failed after the change, pdc did not confirm, and the device restored its archived config itself.
FAILED = {"failed-rolled-back", "failed-rollback-failed", "unreachable", "error", "drift", "refused-lockout",
          "refused-placeholder", "unsaved", "not-attempted", "host-key-mismatch", "host-key-unknown",
          "reverted-by-device"}
COLOURS = {"ok": "green", "unchanged": "green", "compliant": "green", "planned": "yellow", "changes": "yellow",
           "failed-rolled-back": "red", "failed-rollback-failed": "bold red", "unreachable": "red",
           "error": "red", "drift": "red", "refused-lockout": "red", "unsaved": "red", "not-attempted": "yellow",
           "host-key-mismatch": "bold red", "host-key-unknown": "red", "refused-placeholder": "bold red",
           "reverted-by-device": "red"}


@dataclass
class Result:
    site: str
    status: str
    reason: str = ""
    lines: int = 0  # config lines changed (or that would change)
    seconds: float = 0.0
    backup: str | None = None
    details: dict = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status in FAILED


class Stop:
    """Requested once (by a signal handler): devices not yet started are skipped as `not-attempted`.

    Plain attributes, no lock: a handler may interrupt another handler (a second signal) and must
    never wait for a lock the interrupted code holds."""

    def __init__(self) -> None:
        self.reason = ""
        self.signal = 0  # the signal number that asked for it, if one did

    def request(self, reason: str, signum: int = 0) -> bool:
        """True the first time; later requests keep the first reason."""
        if self.reason:
            return False
        self.reason, self.signal = reason, signum
        return True

    @property
    def requested(self) -> bool:
        return bool(self.reason)


def run(items: list, job: Callable[[object], Result], workers: int, label: str, console: Console,
        show_progress: bool = True, stop: Stop | None = None,
        on_result: Callable[[Result], None] | None = None) -> list[Result]:
    """job(item) for every item on `workers` threads; results in the items' order.

    Once `stop` is requested, a queued item is not started: its result is `not-attempted`. Jobs
    already running are left to finish (a push finishes or rolls back its device). `on_result` sees
    each device's result on its worker's thread, before that worker takes another device (so a stop
    it requests holds for every device not yet started); it must be thread-safe."""
    stop = stop or Stop()
    results: dict[int, Result] = {}
    progress = Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        TextColumn("{task.fields[status]}"), console=console, disable=not show_progress,
                        transient=False)
    with progress, ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        task = progress.add_task(label, total=len(items), status="")
        futures = {pool.submit(_unless_stopped, stop, job, item, on_result): i for i, item in enumerate(items)}
        counts: Counter = Counter()
        for future in as_completed(futures):
            result = future.result()
            results[futures[future]] = result
            counts[result.status] += 1
            progress.update(task, advance=1, status=" ".join(f"{k}:{v}" for k, v in sorted(counts.items())))
    return [results[i] for i in range(len(items))]


def _unless_stopped(stop: Stop, job, item, on_result=None) -> Result:
    if stop.requested:
        return Result(getattr(item, "site", "?"), "not-attempted", f"not started: {stop.reason}")
    result = _timed(job, item)
    if on_result is not None:
        on_result(result)
    return result


def _timed(job, item) -> Result:
    start = time.monotonic()
    try:
        result = job(item)
    except Exception as exc:  # noqa: BLE001 - one device's bug must not stop the others
        site = getattr(item, "site", "?")
        result = Result(site, "error", f"internal error before any change: {type(exc).__name__}: {exc}")
    result.seconds = round(time.monotonic() - start, 3)
    return result


def table(results: list[Result], title: str, console: Console) -> None:
    """The per-device table; every text from the model or a device is escaped (no rich markup)."""
    tab = Table(title=escape(title), title_justify="left")
    for column in ("device", "status", "lines", "seconds", "reason"):
        tab.add_column(column, overflow="fold")
    for r in results:
        colour = COLOURS.get(r.status, "white")
        tab.add_row(escape(r.site), f"[{colour}]{escape(r.status)}[/]", str(r.lines), f"{r.seconds:.2f}",
                    escape(redact(r.reason)))
    console.print(tab)
    summary = Counter(r.status for r in results)
    console.print(escape("  ".join(f"{k}: {v}" for k, v in sorted(summary.items()))))


def write_json(results: list[Result], action: str, env_name: str, path: Path | None, extra: dict) -> Path:
    if path is None:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        path = paths.ROOT / "reports" / "wan" / env_name / f"{action}-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    summary = Counter(r.status for r in results)
    data = {
        "environment": env_name, "action": action, **extra,
        "summary": dict(sorted(summary.items())),
        "failed": sorted(r.site for r in results if r.failed),
        "devices": [_redacted(asdict(r)) for r in results],
    }
    data["digest"] = digest(data)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return path


def digest(data: dict) -> str:
    """A checksum of a report's content (every key but `digest`): `pdc wan report merge` refuses a report
    edited after it was written. It proves integrity against edits, not who wrote the report."""
    body = {k: v for k, v in data.items() if k != "digest"}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _redacted(value):
    """Every string of a report entry (reasons, remediations) with its secret values removed."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    return value
