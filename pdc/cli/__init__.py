"""The `pdc` command. Each sub-command lives in its own module and is imported on use,
so `pdc validate` does not pay for importing Pulumi or Netmiko."""

from __future__ import annotations

import importlib

import click

COMMANDS = {
    "validate": "pdc.cli.env:validate",
    "show": "pdc.cli.env:show",
    "plan": "pdc.cli.plan:plan",
    "lab": "pdc.cli.lab:lab",
    "wan": "pdc.cli.wan:wan",
    "audit": "pdc.cli.audit:audit",
    "controls": "pdc.cli.controls:controls",
    "cloud": "pdc.cli.cloud:cloud",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, target in COMMANDS.items() if _available(target)]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None or not _available(target):
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)


def _available(target: str) -> bool:
    return importlib.util.find_spec(target.split(":")[0]) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Provincial data centre toolkit: validate, plan, lab, WAN, audit, cloud.

    ENV is an environment name under inventories/ (lab, haiduong) or a path to one.
    """
