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
@click.option("--wan", is_flag=True, help="Also the WAN switches: PDC-NET controls on each one's running config.")
@click.option("--wan-limit", default=None, metavar="SITE|TIER",
              help="With --wan: only these sites (as pdc wan --limit).")
@click.option("--tenants", is_flag=True,
              help="Also the tenants: PDC-CLD controls on the plan (the tenant program run with mocks, as pdc plan).")
@click.option("--cloud", "cloud_name", is_flag=False, flag_value="", default=None, metavar="[NAME]",
              help="With --tenants: judge the tenants on the live cloud instead (pdc cloud audit's posture and "
                   "drift, read-only; NAME in clouds.yaml, default as for `pdc cloud audit`).")
@click.option("--hosts/--no-hosts", default=True,
              help="Audit the hosts (default); --no-hosts --wan: only the switches.")
def audit(env: str, limit: str | None, report_dir: Path | None, workers: int | None,
          verbose: bool, brief: bool, wan: bool, wan_limit: str | None, tenants: bool, cloud_name: str | None,
          hosts: bool) -> None:
    """Check every catalog control on the hosts of ENV (with --wan its switches, with --tenants its planned
    tenants, with --tenants --cloud its live tenants), in one report; exit 1 if a required control fails."""
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
    if not (hosts or wan or tenants):
        raise click.UsageError("--no-hosts leaves nothing to audit without --wan or --tenants")
    if cloud_name is not None and not tenants:
        raise click.UsageError("--cloud judges the tenants live: give it with --tenants")
    if tenants and cloud_name is not None and environment.settings.openstack is None:
        err.print(f"[bold red]{escape(str(environment.root / 'environment.yml'))}: no 'openstack:' section: "
                  "there are no tenants to audit[/]")
        sys.exit(1)
    report_dir = (report_dir or Path("reports") / "audit" / environment.name).resolve()
    if hosts:
        try:
            selected = runner.select_hosts(environment, limit)
        except runner.NoHosts as exc:
            err.print(f"[bold red]{escape(str(exc))}[/]")
            sys.exit(1)
        code, results = runner.run(environment, selected, report_dir, workers, quiet=not verbose)
        if results is None:
            err.print(f"[bold red]the compliance suite did not run (pytest exit {code})[/]")
            sys.exit(2)
    else:
        results = runner.empty_results(environment)
    if wan:
        _add_switches(environment, results, wan_limit, workers, err)
    if tenants:
        _add_tenants(environment, results, cloud_name, err)
    if wan or tenants:
        from pdc.audit.report import write_reports

        write_reports(results, report_dir)
    summary.print_summary(results, report_dir, Console(highlight=False, soft_wrap=True), brief=brief)
    sys.exit(0 if results.passed else 1)


def _add_switches(environment, results, wan_limit: str | None, workers: int | None, err) -> None:
    """The switches' PDC-NET results, added to the hosts' in the one report."""
    from rich.markup import escape

    from pdc.applicability import decisions_of
    from pdc.audit import wan_live
    from pdc.audit.catalog import catalog
    from pdc.labcontract import LabNotUp
    from pdc.wan import credentials, render

    try:
        sites = render.select(environment, wan_limit)
        items, infos = wan_live.audit_switches(environment, sites, catalog(),
                                               decisions_of(environment.root / "waivers.yml", catalog()), workers)
    except (render.RenderError, credentials.CredentialsError, LabNotUp) as exc:
        err.print(f"[bold red]--wan:[/] {escape(str(exc))}", highlight=False)
        sys.exit(1)
    results.merge(items, infos)


def _add_tenants(environment, results, cloud_name: str | None, err) -> None:
    """The tenants' PDC-CLD results (planned, or live with --cloud), added to the one report."""
    from rich.markup import escape

    from pdc.applicability import decisions_of
    from pdc.audit import tenants
    from pdc.audit.catalog import catalog

    decisions = decisions_of(environment.root / "waivers.yml", catalog())
    if cloud_name is None:
        results.merge(*tenants.audit_tenants(environment, catalog(), decisions))
        return
    from pdc.cloud.connect import CloudError, connect

    try:
        conn, name = connect(environment, cloud_name or None)
        try:
            items, infos = tenants.audit_tenants_live(environment, conn, name, catalog(), decisions)
        finally:
            conn.close()
    except CloudError as exc:
        err.print(f"[bold red]--tenants --cloud:[/] {escape(str(exc))}", highlight=False)
        sys.exit(1)
    results.merge(items, infos)
