"""`pdc audit ENV`: the compliance audit of an environment's hosts, with JUnit, JSON and HTML reports."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pdc.cli.env import load_or_exit
from pdc.cli.errors import exit_invalid


@click.command()
@click.argument("env")
@click.option("--limit", default=None, metavar="HOST|GROUP",
              help="Only these hosts: names, system ids, system/group, Ansible groups or patterns (comma list).")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where audit.json, audit.junit.xml and audit.html go (default: reports/audit/ENV).")
@click.option("--workers", type=int, default=None,
              help="Parallel workers (default: one per host, at most one per CPU core).")
@click.option("--verbose", is_flag=True, help="Show pytest's own output.")
@click.option("--brief", is_flag=True, help="Only the score table and the count of failures (details in the reports).")
def audit(env: str, limit: str | None, report_dir: Path | None, workers: int | None,
          verbose: bool, brief: bool) -> None:
    """Check every catalog control on the hosts of ENV; exit 1 if a required control fails."""
    from rich.console import Console
    from rich.markup import escape

    from pdc.audit import runner, summary
    from pdc.audit.catalog import catalog
    from pdc.audit.waivers import WaiverErrors, load_waivers
    from pdc.controls import InvalidCatalog

    environment = load_or_exit(env)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        known = set(catalog().by_id)
        load_waivers(environment.root / "waivers.yml", known)
    except (InvalidCatalog, WaiverErrors) as exc:
        exit_invalid(f"the catalog or waivers of {environment.name}", exc.errors)
    try:
        hosts = runner.select_hosts(environment, limit)
    except runner.NoHosts as exc:
        err.print(f"[bold red]{escape(str(exc))}[/]")
        sys.exit(1)
    report_dir = report_dir or Path("reports") / "audit" / environment.name
    code, results = runner.run(environment, hosts, report_dir.resolve(), workers, quiet=not verbose)
    if results is None:
        err.print(f"[bold red]the compliance suite did not run (pytest exit {code})[/]")
        sys.exit(2)
    summary.print_summary(results, report_dir, Console(highlight=False, soft_wrap=True), brief=brief)
    sys.exit(0 if results.passed else 1)
