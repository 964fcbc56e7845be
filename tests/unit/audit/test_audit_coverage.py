"""Catalog coverage: every catalog control has a check, and every check names a catalog control."""

from __future__ import annotations

import importlib.util
import inspect
from collections import defaultdict
from pathlib import Path

from pdc.audit import tenants, wan
from pdc.audit.catalog import catalog

SUITE = Path(__file__).resolve().parents[2] / "compliance"


def checks() -> dict[str, list[str]]:
    """control id -> check functions, read from the suite's modules without running them."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted(SUITE.glob("test_*.py")):
        spec = importlib.util.spec_from_file_location(f"compliance_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("test_") or fn.__module__ != module.__name__:
                continue
            marks = [m for m in getattr(fn, "pytestmark", []) if m.name == "control"]
            assert len(marks) == 1, f"{path.name}::{name} needs exactly one @pytest.mark.control"
            found[marks[0].args[0]].append(f"{path.name}::{name}")
    return found


def test_every_catalog_control_has_a_check():
    found = checks()
    missing = [c.id for c in catalog().controls if c.id not in found and c.id not in wan.CHECKS
               and c.id not in tenants.POLICY_CONTROLS.values()]
    assert not missing, f"controls without a check (host suite, pdc.audit.wan or a policy): {missing}"


def test_every_check_names_a_catalog_control():
    known = {c.id for c in catalog().controls}
    unknown = {cid: fns for cid, fns in checks().items() if cid not in known}
    assert not unknown, f"checks tied to controls missing from the catalog: {unknown}"


def test_the_suite_has_many_items_per_control():
    # parametrized checks: more check functions than controls is expected, fewer would be a gap
    assert sum(len(v) for v in checks().values()) >= len([c for c in catalog().controls if c.target == "host"])
