"""Staged rollout without devices: the order, option validation, canaries, batches and --max-fail."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from rich.console import Console

from pdc.wan import report, rollout


def _ids(sites):
    return [s.id for s in sites]


def test_leaves_first_puts_every_site_before_its_parent(haiduong):
    ordered = rollout.order(haiduong.sites, haiduong.sites)
    position = {s.id: i for i, s in enumerate(ordered)}
    assert len(ordered) == len(haiduong.sites) == 248
    for site in haiduong.sites:
        if site.parent:
            assert position[site.id] < position[site.parent], site.id
    assert ordered[-1].id == "dc"
    tiers = [s.tier for s in ordered]
    assert tiers == sorted(tiers, key=["commune", "district", "dc"].index)


def test_by_district_finishes_each_district_before_the_next(lab):
    ordered = _ids(rollout.order(lab.sites, lab.sites, "by-district"))
    assert ordered == ["tp-hai-duong-01", "tp-hai-duong-02", "tp-hai-duong-03", "tp-hai-duong-04", "tp-hai-duong",
                       "nam-sach-01", "nam-sach-02", "nam-sach-03", "nam-sach-04", "nam-sach-05", "nam-sach", "dc"]
    assert _ids(rollout.order(lab.sites, lab.sites, "inventory")) == _ids(lab.sites)


def test_an_order_of_a_subset_keeps_the_rule(lab):
    subset = [lab.site("dc"), lab.site("nam-sach"), lab.site("nam-sach-02")]
    assert _ids(rollout.order(subset, lab.sites)) == ["nam-sach-02", "nam-sach", "dc"]
    assert _ids(rollout.order(subset, lab.sites, "by-district")) == ["nam-sach-02", "nam-sach", "dc"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"batch": "0"}, "--batch 0: a batch holds at least one device"),
    ({"batch": "0%"}, "more than 0%"),
    ({"batch": "-3"}, "a number of devices"),
    ({"batch": "150%"}, "between 0% and 100%"),
    ({"batch": "ten"}, "a number of devices"),
    ({"max_fail": "150%"}, "--max-fail 150%: a percentage between 0% and 100%"),
    ({"max_fail": "10"}, "expected a percentage such as 10%"),
    ({"max_fail": "-1%"}, "expected a percentage"),
    ({"max_fail": "10%\n"}, None),  # surrounding whitespace is tolerated (the value is stripped)
    ({"canary": "0"}, "between 1 and the 12 selected"),
    ({"canary": "13"}, "between 1 and the 12 selected"),
    ({"canary": "12"}, "every selected device would be a canary"),
    ({"canary": "nowhere"}, "'nowhere' not among the selected devices"),
    ({"canary": ","}, "a number of devices or a comma list"),
    ({"how": "roots-first"}, "--order 'roots-first'"),
])
def test_every_rollout_option_is_validated(lab, kwargs, message):
    if message is None:
        assert rollout.plan(lab.sites, lab.sites, **kwargs).max_fail == 10
        return
    with pytest.raises(rollout.RolloutError, match=message.replace("(", r"\(")):
        rollout.plan(lab.sites, lab.sites, **kwargs)


def test_the_stages_canaries_then_batches(lab):
    plan = rollout.plan(lab.sites, lab.sites, canary="2", batch="25%", max_fail="10%")
    assert [(name, len(sites)) for name, sites in plan.stages] == [
        ("canary", 2), ("batch 1/4", 3), ("batch 2/4", 3), ("batch 3/4", 3), ("batch 4/4", 1)]
    assert _ids(plan.sites) == _ids(rollout.order(lab.sites, lab.sites))
    named = rollout.plan(lab.sites, lab.sites, canary="dc,nam-sach-02", batch="5")
    assert _ids(named.canary) == ["nam-sach-02", "dc"]  # in run order
    assert [len(b) for b in named.batches] == [5, 5]
    assert rollout.plan(lab.sites, lab.sites).to_json() == {"order": "leaves-first", "canary": [], "batches": [12],
                                                             "max_fail_percent": None}


@dataclass
class Item:
    site: str


def _run(lab, fails, **options):
    plan = rollout.plan(lab.sites, lab.sites, **options)
    started = []

    def job(item):
        started.append(item.site)
        if item.site in fails:
            return report.Result(item.site, "failed-rolled-back", "refused")
        return report.Result(item.site, "ok")

    jobs = {s.id: Item(s.id) for s in lab.sites}
    results = rollout.run(plan, jobs, job, 1, "push", Console(file=io.StringIO()), show_progress=False)
    return results, started


def test_a_failed_canary_stops_the_run(lab):
    results, started = _run(lab, {"tp-hai-duong-01"}, canary="2")
    assert started == ["tp-hai-duong-01", "tp-hai-duong-02"]
    assert [r.status for r in results] == ["failed-rolled-back", "ok"] + ["not-attempted"] * 10
    assert results[5].reason == "not started: canary tp-hai-duong-01 failed (failed-rolled-back)"
    assert results[5].details["stage"] == "batch 1/1"


def test_max_fail_stops_once_the_share_is_crossed_not_before(lab):
    # 1 of 12 is 8.3%: under 10%, the run goes on; the second failure (16.7%) stops it
    results, started = _run(lab, {"tp-hai-duong-02", "nam-sach-01"}, batch="3", max_fail="10%")
    assert started == _ids(rollout.order(lab.sites, lab.sites))[:5]
    assert [r.status for r in results].count("not-attempted") == 7
    assert results[-1].reason == "not started: 2 of 12 device(s) failed (17%), more than --max-fail 10%"
    # without a threshold every device is tried; a planned (dry-run) device never counts as failed
    results, started = _run(lab, {"tp-hai-duong-02", "nam-sach-01"}, batch="3")
    assert len(started) == 12 and "not-attempted" not in {r.status for r in results}


def test_max_fail_zero_stops_at_the_first_failure(lab):
    results, started = _run(lab, {"tp-hai-duong-03"}, max_fail="0%")
    assert started == _ids(rollout.order(lab.sites, lab.sites))[:3]
    assert [r.status for r in results].count("not-attempted") == 9


def test_an_empty_shard_is_a_valid_run_of_nothing(lab):
    plan = rollout.plan([], lab.sites, canary="1", batch="25%", max_fail="10%")
    assert plan.stages == [] and plan.sites == []
    assert rollout.run(plan, {}, None, 4, "push", Console(file=io.StringIO()), show_progress=False) == []
    with pytest.raises(rollout.RolloutError, match="'dc' not among the selected devices"):
        rollout.plan([], lab.sites, canary="dc")
