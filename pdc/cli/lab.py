"""`pdc lab up|down|status ENV`: the embedded lab (containers, the VM, the emulated WAN, the cloud).

Hosts (nspawn containers and the QEMU VM) live in ``pdc.lab.hosts``; the emulated
switches in ``pdc.lab.switches``. Both keep their state under
``/var/lib/pdc/lab/<env>/`` so that `down` and a later `up` find everything.
"""

from __future__ import annotations

import json

import click

from pdc.cli.env import load_or_exit


class _LabGroup(click.Group):
    """Every `pdc lab` command: a LabError is the message and exit 1, never a traceback."""

    def invoke(self, ctx):
        from pdc.lab.errors import LabError

        try:
            return super().invoke(ctx)
        except LabError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_LabGroup)
def lab() -> None:
    """The embedded lab: a local copy of the data centre on this machine."""


@lab.command()
@click.argument("env")
@click.option("--wan-only", is_flag=True, help="Start only the emulated switches.")
@click.option("--no-vm", is_flag=True, help="Skip the real-kernel VM hosts.")
@click.option("--cloud", "with_cloud", is_flag=True,
              help="Also start the lab cloud (Keystone and Neutron on the loopback address, clouds.yaml in the "
                   "lab's state).")
@click.option("--cloud-only", is_flag=True, help="Start only the lab cloud.")
def up(env: str, wan_only: bool, no_vm: bool, with_cloud: bool, cloud_only: bool) -> None:
    """Start the lab for ENV (idempotent; recovers from a crashed earlier run).

    The cloud (real OpenStack API services) starts only with --cloud or --cloud-only: it costs
    about 300 MiB, and only the cloud audit needs it.
    """
    from pdc.lab import hosts, switches

    if wan_only and cloud_only:
        raise click.UsageError("--wan-only and --cloud-only exclude each other")
    environment = load_or_exit(env)
    if not cloud_only:
        if not wan_only:
            hosts.up(environment, with_vm=not no_vm)
        switches.up(environment)
    if with_cloud or cloud_only:
        from pdc.lab.cloud import services

        result = services.up(environment.name)
        click.echo(f"lab cloud: {result['state']} (Keystone {services.url('keystone')}, Neutron "
                   f"{services.url('neutron')}); clouds.yaml: {result['clouds_yaml']}; "
                   f"timings: {json.dumps(result['timings'])}")


@lab.command()
@click.argument("env")
def down(env: str) -> None:
    """Stop everything the lab started for ENV and remove its namespaces, mounts and files."""
    from pdc.lab import hosts, switches
    from pdc.lab.cloud import services

    environment = load_or_exit(env)
    services.down(environment.name)
    switches.down(environment)
    hosts.down(environment)


@lab.command()
@click.argument("env")
@click.option("--json", "as_json", is_flag=True)
def status(env: str, as_json: bool) -> None:
    """Each host and switch with its address and whether a real SSH login works.

    Exit 0 when every started member answers (members left out, as the VM after `up --no-vm`,
    show "not started"), 1 when a started member does not, 3 when nothing is started.
    """
    from pdc.lab import hosts, switches
    from pdc.lab.cloud import services

    environment = load_or_exit(env)
    result = {"hosts": hosts.status(environment), "switches": switches.status(environment),
              "cloud": services.status(environment.name)}
    members = [i for items in result.values() for i in items]
    code = 3 if not any(i["started"] for i in members) else int(any(i["started"] and not i["reachable"]
                                                                    for i in members))
    if as_json:
        click.echo(json.dumps(result, indent=2))
        raise SystemExit(code)
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    # names from the environment, addresses from the lab's state: printed as text, never as markup
    table = Table(title=f"lab {escape(environment.name)}")
    for column in ("kind", "name", "address", "reachable"):
        table.add_column(column)
    for kind, items in result.items():
        for item in items:
            ok = "[green]yes" if item["reachable"] else "[red]no" if item["started"] else "[dim]not started"
            table.add_row({"hosts": "host", "switches": "switch"}.get(kind, "cloud"), escape(str(item["name"])),
                          escape(str(item["address"])), ok)
    Console().print(table)
    raise SystemExit(code)


@lab.command()
@click.argument("env")
@click.argument("site")
@click.option("--refuse", is_flag=True, help="Refuse TCP connections (the port stops listening).")
@click.option("--reject-login", is_flag=True, help="Reject every SSH login.")
@click.option("--reject-command", metavar="CMD", help="Answer `% Invalid input` to this config line (and longer).")
@click.option("--drop-after", type=int, metavar="N", help="Drop the next session after N config lines (once).")
@click.option("--clear", is_flag=True, help="Remove this device's faults.")
def fault(env: str, site: str, refuse: bool, reject_login: bool, reject_command: str | None,
          drop_after: int | None, clear: bool) -> None:
    """Inject (or --clear) a fault on one emulated switch; returns once it is in force."""
    from pdc.lab import switches

    environment = load_or_exit(env)
    wanted = {k: v for k, v in {"refuse": refuse, "reject_login": reject_login, "reject_command": reject_command,
                                "drop_after": drop_after}.items() if v}
    if clear == bool(wanted):
        raise click.UsageError("give one or more faults, or --clear")
    if site not in {s.id for s in environment.sites}:
        raise click.UsageError(f"no site {site!r} in {environment.name}")
    devices = switches.set_fault(environment, site, None if clear else wanted)
    click.echo(json.dumps({site: devices.get(site, {})}))


@lab.command()
@click.argument("env")
@click.option("--workers", type=click.IntRange(1, 8), default=None, metavar="N",
              help="Tenants provisioned at once (default 3; 1: one resource type after another).")
def provision(env: str, workers: int | None) -> None:
    """The lab's stand-in for `pulumi up`: create ENV's plan in its lab cloud (`up --cloud` first).

    Lab only: Keystone and Neutron resources through openstacksdk; compute and volumes are skipped
    (no Nova or Cinder in the lab). Idempotent: what exists is kept.
    """
    from pdc.lab.cloud.provision import WORKERS, provision_lab

    environment = load_or_exit(env)
    try:
        result = provision_lab(environment, workers or WORKERS)
    except Exception as exc:  # an SDK error names the request that failed: its message, no traceback
        from pdc.lab.errors import LabError

        if isinstance(exc, LabError):
            raise
        raise LabError(f"lab provisioning failed: {type(exc).__name__}: {exc}") from exc
    click.echo(json.dumps(result, indent=2))
