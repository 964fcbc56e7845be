"""Helpers for the stack tests: plans of the real environments, and violating copies of lab."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from functools import cache
from pathlib import Path

import yaml

from pdc import paths
from pdc.environment import Environment, load_environment
from pdc.plan import Plan, plan


@cache
def planned(name: str) -> tuple[Environment, Plan]:
    """One plan per real environment per test session (a plan takes about a second)."""
    env = load_environment(name)
    return env, plan(env)


def lab_copy(tmp_path: Path, edit: Callable[[dict, dict], None]) -> Path:
    """inventories/lab copied to tmp_path, with edit(environment, systems) applied to the YAML."""
    root = tmp_path / "lab"
    shutil.copytree(paths.INVENTORIES / "lab", root)
    env_doc = yaml.safe_load((root / "environment.yml").read_text())
    systems_doc = yaml.safe_load((root / "systems.yml").read_text())
    edit(env_doc, systems_doc)
    (root / "environment.yml").write_text(yaml.safe_dump(env_doc, allow_unicode=True, sort_keys=False))
    (root / "systems.yml").write_text(yaml.safe_dump(systems_doc, allow_unicode=True, sort_keys=False))
    return root


def system(systems_doc: dict, system_id: str) -> dict:
    return next(s for s in systems_doc["systems"] if s["id"] == system_id)


def group(systems_doc: dict, system_id: str, name: str) -> dict:
    return next(g for g in system(systems_doc, system_id)["vm_groups"] if g["name"] == name)


def resources(p: Plan, rtype: str, tenant: str | None = None) -> list:
    return [r for r in p.resources if r.type == rtype and (tenant is None or p.tenant_of(r) == tenant)]
