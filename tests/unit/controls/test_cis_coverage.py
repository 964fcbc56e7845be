"""Every CIS Debian 12 v1.1.0 Level 1 recommendation is accounted for in the catalog, in one state.

The benchmark list is controls/cis-debian12-v1.1.0.tsv (310 ids: 255 Level 1, 55 Level 2). A
Level 1 id is cited by controls that share one status:

- implemented: each citing control has a role task named and tagged with its id
  (test_catalog.py) and a live check in the audit (tests/unit/audit/test_audit_coverage.py);
  both are asserted here again for the ids this test counts;
- not-applicable (by design): a reason, and a live check that the design holds;
- exception: a reason and the compensating control.
"""

from __future__ import annotations

import functools
import importlib.util
from collections import Counter
from pathlib import Path

import pytest

from pdc.controls import ACCOUNTED, benchmark, cis_coverage, load_catalog

UNIT = Path(__file__).resolve().parents[1]


def _module(path: Path):
    spec = importlib.util.spec_from_file_location(f"cis_coverage_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_catalog_tests = _module(UNIT / "controls" / "test_catalog.py")
ID, role_tasks = _catalog_tests.ID, _catalog_tests.role_tasks


@functools.cache
def checks() -> dict[str, list[str]]:
    """control id -> its live checks in tests/compliance (as test_audit_coverage.py reads them)."""
    return dict(_module(UNIT / "audit" / "test_audit_coverage.py").checks())

CATALOG = load_catalog()
BENCH = benchmark()
COVERAGE = cis_coverage(CATALOG, BENCH)
L1 = [r for r in BENCH if r.profile == "L1"]


def test_the_benchmark_list_is_whole():
    assert len(BENCH) == 310 and len(L1) == 255
    assert len({r.id for r in BENCH}) == 310
    assert Counter(r.profile for r in BENCH) == {"L1": 255, "L2": 55}


def test_every_level1_recommendation_is_accounted_for_in_one_state():
    missing = {r.id: COVERAGE[r.id] for r in L1 if COVERAGE[r.id] not in ACCOUNTED}
    assert not missing, f"Level 1 ids the catalog does not account for (or in two states): {missing}"


def test_level2_ids_are_never_in_two_states():
    mixed = {r.id: s for r in BENCH if (s := COVERAGE[r.id]).startswith("mixed")}
    assert not mixed, mixed


def test_at_least_this_many_level1_ids_are_implemented():
    counts = Counter(COVERAGE[r.id] for r in L1)
    # the floor rises as controls land; it never falls (issue 17 asks for 220)
    assert counts["implemented"] >= 203, counts


def _citing(rid):
    return [c for c in CATALOG.controls if rid in c.cis and c.status != "opt-in"]


@pytest.mark.parametrize("rid", [r.id for r in L1 if COVERAGE[r.id] == "implemented"])
def test_implemented_level1_id_has_a_task_and_a_live_check(rid):
    found = checks()
    for control in _citing(rid):
        assert control.target == "host", (rid, control.id)
        tasks = [t for _, t in role_tasks(control.role)
                 if control.id in ID.findall(str(t.get("name", "")).split("|")[0])]
        assert tasks, f"{rid}: {control.id} has no task in roles/{control.role} named with it"
        assert found.get(control.id), f"{rid}: {control.id} has no live check in tests/compliance"


@pytest.mark.parametrize("rid", [r.id for r in L1 if COVERAGE[r.id] == "not-applicable"])
def test_not_applicable_level1_id_has_a_reason_and_a_design_check(rid):
    found = checks()
    for control in _citing(rid):
        assert control.reason and len(control.reason) > 40, (rid, control.id)
        assert found.get(control.id), f"{rid}: {control.id} has no live check that the design holds"


@pytest.mark.parametrize("rid", [r.id for r in L1 if COVERAGE[r.id] == "exception"])
def test_exception_level1_id_has_a_reason_and_a_compensating_control(rid):
    for control in _citing(rid):
        assert control.reason and control.compensating, (rid, control.id)
        cited = set(ID.findall(control.compensating))
        assert cited and cited <= set(CATALOG.by_id), f"{control.id}: compensating controls {cited} unknown"


def test_unknown_cis_ids_are_only_the_known_gaps_of_the_list():
    # 1.5.4 (prelink) and 1.5.5 (automatic error reporting) are v1.1.0 recommendations that
    # ansible-lockdown's encoding, hence the list, leaves out
    known = {r.id for r in BENCH}
    cited = {rid for c in CATALOG.controls for rid in c.cis}
    assert cited - known == {"1.5.4", "1.5.5"}


def test_a_missing_level1_id_is_reported(tmp_path):
    from pdc.controls import Recommendation

    extra = [*BENCH, Recommendation("9.9.9", "L1", "Ensure a recommendation nobody cites")]
    assert cis_coverage(CATALOG, extra)["9.9.9"] == "unaccounted"
