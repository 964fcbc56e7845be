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
from typing import NoReturn

import click
from rich.console import Console
from rich.markup import escape

from pdc.cli.env import load_or_exit

console = Console(stderr=True)


def _error(message: str) -> NoReturn:
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(1)


def _select(environment, limit: str | None, shard_text: str | None):
    """The sites of --limit, then of --shard K/N; and the selection as reports record it."""
    from pdc.wan import render, shard

    try:
        cut = shard.parse(shard_text) if shard_text is not None else None
        chosen = render.select(environment, limit)
    except (render.RenderError, shard.ShardError) as exc:
        _error(str(exc))
    sites = shard.select(chosen, environment.sites, cut)
    selection = {"limit": limit, "shard": str(cut) if cut else None, "count": len(chosen),
                 "digest": shard.digest(s.id for s in chosen)}
    return sites, selection


def _setup(env_name: str, limit: str | None, with_secrets: bool = True, shard_text: str | None = None,
           check=None):
    """The environment, its selected sites, the real credentials (or, to only read configs, marked
    placeholders: no credential needed), and the selection (for the report). `check(environment,
    sites)` runs before any credential is read (it validates a command's own options)."""
    from pdc.wan import credentials

    environment = load_or_exit(env_name)
    sites, selection = _select(environment, limit, shard_text)
    if check is not None:
        check(environment, sites)
    try:
        creds = credentials.load(environment) if with_secrets else credentials.placeholders(environment)
    except credentials.CredentialsError as exc:
        _error(str(exc))
    return environment, sites, creds, selection


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
    from pdc.wan import connect, session_keys

    try:
        # each session then parses its own device's pinned keys only (pdc.wan.session_keys)
        return session_keys.split(connect.targets(environment, sites))
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
shard_option = click.option("--shard", "shard_text", metavar="K/N",
                            help="Only shard K of N (1 <= K <= N) of the selected devices: a deterministic split "
                                 "that keeps each district with its communes (CI parallel: N).")


@click.group()
def wan() -> None:
    """Render, back up, diff, push and verify the WAN switches of an environment."""


@wan.command("render")
@click.argument("env")
@limit_option
@shard_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Write one .cfg per device here.")
@click.option("--platform", type=click.Choice(["cisco_ios", "huawei_vrp"]), help="Override the sites' platform.")
def render_cmd(env: str, limit: str | None, shard_text: str | None, out: Path | None, platform: str | None) -> None:
    """Render the intended config of every (or --limit) device; deterministic.

    Needs no credentials: secrets are written as marked placeholders (<secret:wan-password-hash>...),
    and a config holding one is refused by `pdc wan push`."""
    from pdc.wan import render

    environment, sites, creds, _ = _setup(env, limit, with_secrets=False, shard_text=shard_text)
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
@shard_option
@click.option("--yes", is_flag=True, help="Record without asking (for scripts that checked the fingerprints).")
@click.option("--replace", is_flag=True, help="Also replace keys that differ from the recorded ones.")
def trust(env: str, limit: str | None, shard_text: str | None, yes: bool, replace: bool) -> None:
    """Fetch each device's SSH host key (no login), show its fingerprint, and record it."""
    from concurrent.futures import ThreadPoolExecutor

    from pdc.wan import connect, known_hosts

    environment = load_or_exit(env)
    sites, _ = _select(environment, limit, shard_text)
    try:
        file = known_hosts.path(environment.name)
        recorded = known_hosts.load(file)
    except known_hosts.KnownHostsError as exc:
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


def _read_jobs(env: str, limit: str | None, with_intended: bool, backups: bool = False,
               shard_text: str | None = None):
    from pdc.wan.backup import BackupRun
    from pdc.wan.verify import ReadJob

    environment, sites, creds, selection = _setup(env, limit, shard_text=shard_text)
    intended = _intended(environment, sites, creds) if with_intended else {}
    targets = _targets(environment, sites)
    run = BackupRun(environment.name, creds.redactor()) if backups else None
    jobs = [ReadJob(targets[s.id], intended.get(s.id), creds, run) for s in sites]
    return environment, jobs, run, selection


def _archive(environment, configs: dict[str, str], message: str, redactor=None) -> bool:
    """Commit the configs to the environment's archive; False (reported) when that failed."""
    from pdc.wan import archive

    try:
        commit = archive.Archive(environment.name).commit(
            {site: archive.normalise(text, redactor) for site, text in configs.items()}, message)
    except (archive.ArchiveError, OSError) as exc:
        console.print(f"[bold red]archive error:[/] {escape(str(exc))}", highlight=False)
        return False
    where = archive.root(environment.name)
    console.print(f"archive {where}: " + (f"commit {commit[:12]} ({len(configs)} device(s))" if commit
                                          else "no change"), highlight=False)
    return True


def _workers(workers: int | None) -> int:
    from pdc.wan.push import DEFAULT_WORKERS

    return workers or DEFAULT_WORKERS


@wan.command()
@click.argument("env")
@limit_option
@shard_option
@workers_option
@quiet_option
def backup(env: str, limit: str | None, shard_text: str | None, workers: int | None, quiet: bool) -> None:
    """Save each device's running config (a run folder, one file per device) and commit them to the
    environment's config archive (git, one file per device, secrets redacted)."""
    from pdc.wan import report
    from pdc.wan.verify import backup_device

    environment, jobs, run, _ = _read_jobs(env, limit, with_intended=False, backups=True, shard_text=shard_text)
    results = report.run(jobs, backup_device, _workers(workers), "backup", console, not quiet)
    if not quiet:
        report.table(results, f"backup {environment.name} -> {run.dir}", console)
    click.echo(f"backups in {run.dir}")
    archived = _archive(environment, _backed_up(results), f"backup {environment.name}: {run.dir.name}")
    sys.exit(1 if any(r.failed for r in results) or not archived else 0)


def _backed_up(results) -> dict[str, str]:
    """The backup files of a run (already cleaned and redacted), by site."""
    out = {}
    for r in results:
        if r.backup:
            with contextlib.suppress(OSError, UnicodeDecodeError):
                out[r.site] = Path(r.backup).read_text(encoding="utf-8")
    return out


@wan.command("diff")
@click.argument("env")
@limit_option
@shard_option
@workers_option
@report_option
@quiet_option
@click.option("--offline", is_flag=True, help="Diff against saved running configs (--running), no device session.")
@click.option("--running", "running_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="With --offline: a folder of <site>.cfg running configs (e.g. a backup run).")
def diff_cmd(env: str, limit: str | None, shard_text: str | None, workers: int | None, report_path: Path | None,
             quiet: bool, offline: bool, running_dir: Path | None) -> None:
    """The remediation each device needs (the dry-run artifact), and unsaved devices.

    --offline --running DIR: against saved running configs (DIR/<site>.cfg, e.g. a backup folder),
    with no device session and no credentials; secret values are not compared.
    Exit 0 none, 2 changes or unsaved, 1 errors."""
    from pdc.wan import report
    from pdc.wan.verify import SavedJob, diff_device, diff_saved

    if offline != (running_dir is not None):
        raise click.UsageError("--offline and --running DIR go together")
    if offline:
        environment, sites, creds, selection = _setup(env, limit, with_secrets=False, shard_text=shard_text)
        intended = _intended(environment, sites, creds)
        jobs = [SavedJob(s, intended[s.id], running_dir / f"{s.id}.cfg") for s in sites]
        results = report.run(jobs, diff_saved, _workers(workers), "diff (offline)", console, not quiet)
    else:
        environment, jobs, _, selection = _read_jobs(env, limit, with_intended=True, shard_text=shard_text)
        results = report.run(jobs, diff_device, _workers(workers), "diff", console, not quiet)
    if not quiet:
        _echo_remediations(results, "changes")
        report.table(results, f"diff {environment.name}", console)
    path = report.write_json(results, "diff", environment.name, report_path, {"selection": selection})
    console.print(f"report: {path}", highlight=False)
    if any(r.failed and r.status != "unsaved" for r in results):
        sys.exit(1)
    sys.exit(2 if any(r.status in ("changes", "unsaved") for r in results) else 0)


@wan.command()
@click.argument("env")
@limit_option
@shard_option
@workers_option
@report_option
@quiet_option
def verify(env: str, limit: str | None, shard_text: str | None, workers: int | None, report_path: Path | None,
           quiet: bool) -> None:
    """Compare each device's running config with its intended config. Exit 1 on any drift."""
    from pdc.wan import report
    from pdc.wan.verify import verify_device

    environment, jobs, _, selection = _read_jobs(env, limit, with_intended=True, shard_text=shard_text)
    results = report.run(jobs, verify_device, _workers(workers), "verify", console, not quiet)
    if not quiet:
        report.table(results, f"verify {environment.name}", console)
    path = report.write_json(results, "verify", environment.name, report_path, {"selection": selection})
    console.print(f"report: {path}", highlight=False)
    sys.exit(1 if any(r.failed for r in results) else 0)


@wan.command()
@click.argument("env")
@limit_option
@shard_option
@click.option("--apply", is_flag=True, help="Really change the devices (default: dry run).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@workers_option
@report_option
@quiet_option
@click.option("--session-logs/--no-session-logs", default=True, help="Redacted Netmiko session logs per device.")
@click.option("--allow-lockout", is_flag=True,
              help="Push even a change that would cut this controller's own management path (refused by default).")
@click.option("--order", "order", type=click.Choice(["leaves-first", "by-district", "inventory"]),
              default="leaves-first", show_default=True,
              help="leaves-first: communes, then districts, then the DC; by-district: each district's communes "
                   "then that district; inventory: sites.yml order.")
@click.option("--canary", metavar="N|SITE,...",
              help="These devices first (the first N of the order, or the named sites); any failure stops the run.")
@click.option("--batch", metavar="SIZE|PCT%", help="The other devices in batches of SIZE devices or PCT% of them.")
@click.option("--max-fail", "max_fail", metavar="PCT%",
              help="Stop the run once failed devices exceed PCT% of the run's devices (e.g. 10%).")
def push(env: str, limit: str | None, shard_text: str | None, apply: bool, yes: bool, workers: int | None,
         report_path: Path | None, quiet: bool, session_logs: bool, allow_lockout: bool, order: str,
         canary: str | None, batch: str | None, max_fail: str | None) -> None:
    """Push only the remediation, verify, save; roll back any device that fails.

    Devices go in a topology order (leaves first by default), the canaries first, then in batches;
    a canary failure or --max-fail stops the run: devices not started are `not-attempted`.
    The configs read and left are committed to the environment's config archive.

    SIGINT/SIGTERM: no further device starts, devices in flight finish or roll back, the report is
    written (`not-attempted` for the rest) and the exit code is 130/143."""
    import time

    from pdc import paths
    from pdc.wan import report, rollout
    from pdc.wan.backup import BackupRun
    from pdc.wan.push import Job, push_device

    plans = []

    def check(environment, sites):  # every rollout option, before any credential, render or session
        try:
            plans.append(rollout.plan(sites, environment.sites, order, canary, batch, max_fail))
        except rollout.RolloutError as exc:
            _error(str(exc))

    environment, sites, creds, selection = _setup(env, limit, shard_text=shard_text, check=check)
    staged = plans[0]
    intended = _intended(environment, sites, creds)
    if apply and not yes:
        click.confirm(f"Push remediation to up to {len(sites)} device(s) of {environment.name}?", abort=True)
    targets = _targets(environment, sites)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    backups = BackupRun(environment.name, creds.redactor(), stamp)
    session_dir = paths.ROOT / "reports" / "wan" / environment.name / f"sessions-{stamp}" if session_logs else None
    settled: dict[str, str] = {}
    jobs = {s.id: Job(targets[s.id], intended[s.id], creds, apply, backups, session_dir, allow_lockout, settled)
            for s in sites}
    count = _workers(workers)
    started = time.monotonic()
    stop = report.Stop()
    label = "push" if apply else "push (dry run)"
    with _stopping_on_signals(stop):  # until the report is written: a late signal must not lose it
        results = rollout.run(staged, jobs, push_device, count, label, console, not quiet, stop)
        elapsed = time.monotonic() - started
        path = report.write_json(results, "push" if apply else "push-dry-run", environment.name, report_path,
                                 {"apply": apply, "workers": count, "seconds": round(elapsed, 2),
                                  "backups": str(backups.dir),
                                  "sessions": str(session_dir) if session_dir else None,
                                  "selection": selection, "rollout": staged.to_json(),
                                  "stopped": stop.reason or None})
        if not quiet:
            if not apply:
                _echo_remediations(results, "planned", " (dry run)")
            report.table(results, f"push {environment.name}{'' if apply else ' (dry run)'}", console)
    archived = _archive(environment, _backed_up(results), f"push {environment.name} {stamp}: before")
    if apply:
        archived = _archive(environment, settled, f"push {environment.name} {stamp}: after", creds.redactor()) \
            and archived
    failed = [r for r in results if r.failed]
    console.print(f"push {environment.name}: {len(results)} device(s) in {elapsed:.1f}s with {count} workers, "
                  f"{len(failed)} failed; report: {path}", highlight=False)
    if stop.requested:
        console.print(f"stopped: {stop.reason}", highlight=False, markup=False)
        if stop.signal:
            sys.exit(128 + stop.signal)
    sys.exit(1 if failed or not archived else 0)


@wan.command()
@click.argument("env")
@limit_option
@shard_option
@workers_option
@report_option
@quiet_option
@click.option("--syslog", is_flag=True,
              help="Also send a one-line summary per device to the SOC collector(s) of the environment's syslog "
                   "service.")
def drift(env: str, limit: str | None, shard_text: str | None, workers: int | None, report_path: Path | None,
          quiet: bool, syslog: bool) -> None:
    """Per device: running vs intended (the remediation), vs the last archived config (changes made
    behind pdc's back, with the diff and the archive time), vs startup (unsaved). Read-only.

    Exit 0 no drift, 2 drift, 1 a device could not be read (or the syslog send failed)."""
    from pdc.wan import archive, report, soc
    from pdc.wan import drift as drifting

    environment, sites, creds, selection = _setup(env, limit, shard_text=shard_text)
    intended = _intended(environment, sites, creds)
    targets = _targets(environment, sites)
    try:
        archived = archive.Archive(environment.name).archived([s.id for s in sites])
    except archive.ArchiveError as exc:
        _error(str(exc))
    jobs = [drifting.DriftJob(targets[s.id], intended[s.id], creds, archived=archived.get(s.id)) for s in sites]
    results = report.run(jobs, drifting.drift_device, _workers(workers), "drift", console, not quiet)
    if not quiet:
        for r in results:
            for key, title in (("archive_diff", "changed since archived"), ("unsaved_diff", "unsaved")):
                if r.details.get(key):
                    click.echo(f"! ==== {r.site}: {title}")
                    click.echo(r.details[key], nl=False)
        report.table(results, f"drift {environment.name}", console)
    code = drifting.exit_code(results)
    extra = {"selection": selection, "archive": str(archive.root(environment.name))}
    if syslog:
        collectors = soc.collectors(environment)
        try:
            if not collectors:
                raise OSError("the environment's syslog service has no collector")
            soc.send(collectors, [soc.line(environment.name, r) for r in results])
            extra["syslog"] = {"sent": len(results), "to": [str(c) for c in collectors]}
            console.print(f"syslog: {len(results)} line(s) to {', '.join(map(str, collectors))}", highlight=False)
        except OSError as exc:
            extra["syslog"] = {"error": str(exc)}
            console.print(f"[bold red]syslog error:[/] {escape(str(exc))}", highlight=False)
            code = 1
    path = report.write_json(results, "drift", environment.name, report_path, extra)
    console.print(f"report: {path}", highlight=False)
    sys.exit(code)


@wan.group("report")
def report_group() -> None:
    """Work with the JSON reports of wan commands."""


@report_group.command("merge")
@click.argument("reports", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the merged report.")
def report_merge(reports: tuple[Path, ...], out: Path) -> None:
    """Join the reports of the shards of one run (--shard 1/N ... N/N), or of disjoint runs, into one.

    Every file is checked (its digest, its fields, its summary); the shards of a selection must all be
    there, once each, and no device twice. Exit 0 when written, 1 (nothing written) otherwise."""
    import json

    from pdc.wan import merge

    try:
        merged = merge.merge(list(reports))
    except merge.MergeError as exc:
        _error(f"{exc}; nothing written")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(merged, indent=2, ensure_ascii=False) + "\n")
    summary = "  ".join(f"{k}: {v}" for k, v in merged["summary"].items())
    console.print(f"merged {len(reports)} report(s), {len(merged['devices'])} device(s) ({summary}) into {out}",
                  highlight=False, markup=False)


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
