"""`pdc wan render|trust|backup|diff|push|verify ENV`: the provincial WAN's switch configs.

Every command validates the environment first (load_or_exit). Secrets come from
pdc.wan.credentials and are redacted from everything printed or written.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from pdc.cli.env import load_or_exit

console = Console(stderr=True)


def _setup(env_name: str, limit: str | None, with_secrets: bool = True):
    """The environment, its selected sites, and the real credentials (or, to only read configs,
    marked placeholders: no credential needed)."""
    from pdc.wan import credentials, render

    environment = load_or_exit(env_name)
    try:
        sites = render.select(environment, limit)
        creds = credentials.load(environment) if with_secrets else credentials.placeholders(environment)
    except (render.RenderError, credentials.CredentialsError) as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(1)
    return environment, sites, creds


def _intended(environment, sites, creds) -> dict[str, str]:
    from pdc.wan import render

    try:
        return render.render(environment, creds, sites)
    except (render.RenderError, ValueError) as exc:
        console.print(f"[bold red]render error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(1)


def _targets(environment, sites):
    """Each site's device, from the environment's declared source (wan.pdc.yml)."""
    from pdc.labcontract import LabNotUp
    from pdc.wan import connect

    try:
        return connect.targets(environment, sites)
    except LabNotUp as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(1)


def _echo_remediations(results, status: str, note: str = "") -> None:
    """Each device's remediation (already redacted), for the devices with that status."""
    for r in results:
        if r.status == status:
            click.echo(f"! ==== {r.site}: {r.lines} line(s){note}")
            click.echo(r.details["remediation"], nl=False)


limit_option = click.option("--limit", help="A site id, a tier (dc, district, commune), or a comma list.")
workers_option = click.option("--workers", type=int, default=None,
                              help="Devices handled at once (default: the measured best, see bench/wan.py).")
report_option = click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
                             help="Where to write the JSON report (default reports/wan/ENV/ACTION-TIME.json).")
quiet_option = click.option("--quiet", is_flag=True, help="No progress bar or table; only the summary line.")


@click.group()
def wan() -> None:
    """Render, back up, diff, push and verify the WAN switches of an environment."""


@wan.command("render")
@click.argument("env")
@limit_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Write one .cfg per device here.")
@click.option("--platform", type=click.Choice(["cisco_ios", "huawei_vrp"]), help="Override the sites' platform.")
def render_cmd(env: str, limit: str | None, out: Path | None, platform: str | None) -> None:
    """Render the intended config of every (or --limit) device; deterministic.

    Needs no credentials: secrets are written as marked placeholders (<secret:wan-password-hash>...),
    and a config holding one is refused by `pdc wan push`."""
    from pdc.wan import render

    environment, sites, creds = _setup(env, limit, with_secrets=False)
    try:
        configs = render.render(environment, creds, sites, platform)
    except (render.RenderError, ValueError) as exc:
        console.print(f"[bold red]render error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(1)
    redact = creds.redactor()
    if out:
        written = render.write(configs, out, redact)
        click.echo(f"{len(written)} configs written to {out} (secrets as <secret:...> placeholders)")
    else:
        for site_id, text in configs.items():
            click.echo(f"! ==== {site_id}")
            click.echo(redact(text), nl=False)


@wan.command()
@click.argument("env")
@limit_option
@click.option("--yes", is_flag=True, help="Record without asking (for scripts that checked the fingerprints).")
@click.option("--replace", is_flag=True, help="Also replace keys that differ from the recorded ones.")
def trust(env: str, limit: str | None, yes: bool, replace: bool) -> None:
    """Fetch each device's SSH host key (no login), show its fingerprint, and record it."""
    from concurrent.futures import ThreadPoolExecutor

    from pdc.wan import connect, known_hosts, render

    environment = load_or_exit(env)
    try:
        sites = render.select(environment, limit)
        file = known_hosts.path(environment.name)
        recorded = known_hosts.load(file)
    except (render.RenderError, known_hosts.KnownHostsError) as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(1)
    targets = _targets(environment, sites)

    def look(site):
        target = targets[site.id]
        try:
            key = known_hosts.fetch(target.host, target.port, connect.TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - one device's failure is reported, the others go on
            return site.id, target, None, connect.classify(exc)
        return site.id, target, known_hosts.check(recorded, target.host, target.port, key), ""

    with ThreadPoolExecutor(max_workers=_workers(None)) as pool:
        found = list(pool.map(look, sites))
    # one line per device, never folded: a fingerprint is compared character by character
    console.print(f"host keys of {escape(environment.name)} ({escape(str(file))}):", highlight=False)
    for site_id, target, item, error in found:
        address = escape(known_hosts.entry_name(target.host, target.port))
        if item is None:
            console.print(f"  {escape(site_id)} {address} [red]unreachable: {escape(error)}[/]", highlight=False,
                          soft_wrap=True)
            continue
        if item.status == "changed":
            status = "[bold red]CHANGED[/], recorded " + escape(known_hosts.fingerprint(item.recorded))
        else:
            status = {"known": "[green]known[/]", "new": "[yellow]new[/]"}[item.status]
        console.print(f"  {escape(site_id)} {address} {escape(item.key.get_name())} "
                      f"{escape(known_hosts.fingerprint(item.key))} {status}", highlight=False, soft_wrap=True)
    checks = [item for _, _, item, _ in found if item is not None]
    changed = [c for c in checks if c.status == "changed"]
    unreachable = sum(1 for *_, item, _ in found if item is None)
    wanted = [c for c in checks if c.status == "new" or (replace and c.status == "changed")]
    if changed and not replace:
        console.print(f"[bold red]{len(changed)} device(s) present a key different from the recorded one: "
                      f"not replaced.[/] Find out why (a replaced device, or someone on the path), then run "
                      f"again with --replace.", highlight=False)
    if wanted:
        if not yes:
            click.confirm(f"Record {len(wanted)} host key(s) in {file}?", abort=True, err=True)
        known_hosts.record(file, wanted, replace=replace)
    console.print(f"{len(wanted)} key(s) recorded, {sum(c.status == 'known' for c in checks)} already known, "
                  f"{len(changed) if not replace else 0} changed and kept, {unreachable} unreachable",
                  highlight=False)
    sys.exit(1 if unreachable or (changed and not replace) else 0)


def _read_jobs(env: str, limit: str | None, with_intended: bool, backups: bool = False):
    from pdc.wan.backup import BackupRun
    from pdc.wan.verify import ReadJob

    environment, sites, creds = _setup(env, limit)
    intended = _intended(environment, sites, creds) if with_intended else {}
    targets = _targets(environment, sites)
    run = BackupRun(environment.name, creds.redactor()) if backups else None
    jobs = [ReadJob(targets[s.id], intended.get(s.id), creds, run) for s in sites]
    return environment, jobs, run


def _workers(workers: int | None) -> int:
    from pdc.wan.push import DEFAULT_WORKERS

    return workers or DEFAULT_WORKERS


@wan.command()
@click.argument("env")
@limit_option
@workers_option
@quiet_option
def backup(env: str, limit: str | None, workers: int | None, quiet: bool) -> None:
    """Save each device's running config (timestamped folder, one file per device)."""
    from pdc.wan import report
    from pdc.wan.verify import backup_device

    environment, jobs, run = _read_jobs(env, limit, with_intended=False, backups=True)
    results = report.run(jobs, backup_device, _workers(workers), "backup", console, not quiet)
    if not quiet:
        report.table(results, f"backup {environment.name} -> {run.dir}", console)
    click.echo(f"backups in {run.dir}")
    sys.exit(1 if any(r.failed for r in results) else 0)


@wan.command("diff")
@click.argument("env")
@limit_option
@workers_option
@report_option
@quiet_option
@click.option("--offline", is_flag=True, help="Diff against saved running configs (--running), no device session.")
@click.option("--running", "running_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="With --offline: a folder of <site>.cfg running configs (e.g. a backup run).")
def diff_cmd(env: str, limit: str | None, workers: int | None, report_path: Path | None, quiet: bool,
             offline: bool, running_dir: Path | None) -> None:
    """The remediation each device needs (the dry-run artifact), and unsaved devices.

    --offline --running DIR: against saved running configs (DIR/<site>.cfg, e.g. a backup folder),
    with no device session and no credentials; secret values are not compared.
    Exit 0 none, 2 changes or unsaved, 1 errors."""
    from pdc.wan import report
    from pdc.wan.verify import SavedJob, diff_device, diff_saved

    if offline != (running_dir is not None):
        raise click.UsageError("--offline and --running DIR go together")
    if offline:
        environment, sites, creds = _setup(env, limit, with_secrets=False)
        intended = _intended(environment, sites, creds)
        jobs = [SavedJob(s, intended[s.id], running_dir / f"{s.id}.cfg") for s in sites]
        results = report.run(jobs, diff_saved, _workers(workers), "diff (offline)", console, not quiet)
    else:
        environment, jobs, _ = _read_jobs(env, limit, with_intended=True)
        results = report.run(jobs, diff_device, _workers(workers), "diff", console, not quiet)
    if not quiet:
        _echo_remediations(results, "changes")
        report.table(results, f"diff {environment.name}", console)
    path = report.write_json(results, "diff", environment.name, report_path, {})
    console.print(f"report: {path}", highlight=False)
    if any(r.failed and r.status != "unsaved" for r in results):
        sys.exit(1)
    sys.exit(2 if any(r.status in ("changes", "unsaved") for r in results) else 0)


@wan.command()
@click.argument("env")
@limit_option
@workers_option
@report_option
@quiet_option
def verify(env: str, limit: str | None, workers: int | None, report_path: Path | None, quiet: bool) -> None:
    """Compare each device's running config with its intended config. Exit 1 on any drift."""
    from pdc.wan import report
    from pdc.wan.verify import verify_device

    environment, jobs, _ = _read_jobs(env, limit, with_intended=True)
    results = report.run(jobs, verify_device, _workers(workers), "verify", console, not quiet)
    if not quiet:
        report.table(results, f"verify {environment.name}", console)
    path = report.write_json(results, "verify", environment.name, report_path, {})
    console.print(f"report: {path}", highlight=False)
    sys.exit(1 if any(r.failed for r in results) else 0)


@wan.command()
@click.argument("env")
@limit_option
@click.option("--apply", is_flag=True, help="Really change the devices (default: dry run).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@workers_option
@report_option
@quiet_option
@click.option("--session-logs/--no-session-logs", default=True, help="Redacted Netmiko session logs per device.")
@click.option("--allow-lockout", is_flag=True,
              help="Push even a change that would cut this controller's own management path (refused by default).")
def push(env: str, limit: str | None, apply: bool, yes: bool, workers: int | None, report_path: Path | None,
         quiet: bool, session_logs: bool, allow_lockout: bool) -> None:
    """Push only the remediation, verify, save; roll back any device that fails.

    SIGINT/SIGTERM: no further device starts, devices in flight finish or roll back, the report is
    written (`not-attempted` for the rest) and the exit code is 130/143."""
    import time

    from pdc import paths
    from pdc.wan import report
    from pdc.wan.backup import BackupRun
    from pdc.wan.push import Job, push_device

    environment, sites, creds = _setup(env, limit)
    intended = _intended(environment, sites, creds)
    if apply and not yes:
        click.confirm(f"Push remediation to up to {len(sites)} device(s) of {environment.name}?", abort=True)
    targets = _targets(environment, sites)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    backups = BackupRun(environment.name, creds.redactor(), stamp)
    session_dir = paths.ROOT / "reports" / "wan" / environment.name / f"sessions-{stamp}" if session_logs else None
    jobs = [Job(targets[s.id], intended[s.id], creds, apply, backups, session_dir, allow_lockout) for s in sites]
    count = _workers(workers)
    started = time.monotonic()
    stop = report.Stop()
    with _stopping_on_signals(stop):  # until the report is written: a late signal must not lose it
        results = report.run(jobs, push_device, count, "push" if apply else "push (dry run)", console, not quiet,
                             stop)
        elapsed = time.monotonic() - started
        path = report.write_json(results, "push" if apply else "push-dry-run", environment.name, report_path,
                                 {"apply": apply, "workers": count, "seconds": round(elapsed, 2),
                                  "backups": str(backups.dir),
                                  "sessions": str(session_dir) if session_dir else None,
                                  "stopped": stop.reason or None})
        if not quiet:
            if not apply:
                _echo_remediations(results, "planned", " (dry run)")
            report.table(results, f"push {environment.name}{'' if apply else ' (dry run)'}", console)
    failed = [r for r in results if r.failed]
    console.print(f"push {environment.name}: {len(results)} device(s) in {elapsed:.1f}s with {count} workers, "
                  f"{len(failed)} failed; report: {path}", highlight=False)
    if stop.requested:
        console.print(f"stopped: {stop.reason}", highlight=False, markup=False)
        sys.exit(128 + stop.signal)
    sys.exit(1 if failed else 0)


@contextlib.contextmanager
def _stopping_on_signals(stop):
    """SIGINT/SIGTERM request a stop instead of killing the run; the old handlers come back after.

    A second signal changes nothing: a device in flight is never abandoned half-applied, and each
    of its steps is bounded (pdc.wan.push.READ_TIMEOUT), so the wait is bounded too."""

    def handler(signum, _frame):
        name = signal.Signals(signum).name
        first = stop.request(f"interrupted by {name}", signum)
        message = (f"\n{name}: starting no further device; devices in flight finish or roll back\n" if first
                   else f"\n{name} again: still waiting for the devices in flight (never left half-applied)\n")
        # a raw write: the handler may interrupt rich (or itself) mid-print
        with contextlib.suppress(OSError):
            os.write(sys.stderr.fileno(), message.encode())

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
