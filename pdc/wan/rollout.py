"""Staged rollout of a push: the order of the devices, canaries, batches and the failure threshold.

Order (`--order`):
- ``leaves-first`` (default): deepest sites first: every commune, then every district, then the data
  centre. A site is never changed before a site behind it, so a district whose change fails (and is
  rolled back) has already left its communes done, and the controller's path to a commune is never
  through a district changed in the same run before it.
- ``by-district``: depth first, one branch at a time: a district's communes, then that district, the
  next district..., the data centre last. The same guarantee, with each district finished before the
  next one starts (a batch then touches few districts).
- ``inventory``: the order of sites.yml.
Within a level, sites keep their sites.yml order.

Stages: the canaries first (`--canary N`: the first N devices of the order, or `--canary SITE,...`),
in one stage of their own; any canary failure stops the run. Then the others in batches
(`--batch SIZE` or `--batch PCT%` of them; default one batch). `--max-fail PCT%` stops the run once
failed devices exceed that share of all the run's devices, checked as each device finishes: no
further device starts, devices in flight finish or roll back. Every device not started is reported
`not-attempted`, with the reason the run stopped.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from rich.console import Console

from pdc.schema import Site
from pdc.wan import report
from pdc.wan.report import Result

ORDERS = ("leaves-first", "by-district", "inventory")
DEFAULT_ORDER = "leaves-first"
_COUNT = re.compile(r"^[0-9]{1,6}$")
_PERCENT = re.compile(r"^([0-9]{1,3}(?:\.[0-9]{1,2})?)%$")


class RolloutError(ValueError):
    pass


# ------------------------------------------------------------------ order


def depth(site: Site, by_id: dict[str, Site]) -> int:
    seen, level, current = {site.id}, 0, site
    while current.parent and current.parent in by_id and current.parent not in seen:
        current = by_id[current.parent]
        seen.add(current.id)
        level += 1
    return level


def order(sites: list[Site], all_sites: list[Site], how: str = DEFAULT_ORDER) -> list[Site]:
    """The sites in the order a push changes them."""
    if how not in ORDERS:
        raise RolloutError(f"--order {how!r}: one of {', '.join(ORDERS)}")
    by_id = {s.id: s for s in all_sites}
    position = {s.id: i for i, s in enumerate(all_sites)}
    if how == "inventory":
        return sorted(sites, key=lambda s: position.get(s.id, 0))
    if how == "leaves-first":
        return sorted(sites, key=lambda s: (-depth(s, by_id), position.get(s.id, 0)))
    # by-district: post-order over the tree of all sites, keeping only the selected ones
    children: dict[str | None, list[Site]] = {}
    for s in all_sites:
        parent = s.parent if s.parent in by_id else None
        children.setdefault(parent, []).append(s)
    wanted = {s.id for s in sites}
    out: list[Site] = []
    visited: set[str] = set()

    def walk(site: Site) -> None:
        stack = [(site, False)]
        while stack:
            node, done = stack.pop()
            if done:
                if node.id in wanted:
                    out.append(node)
                continue
            if node.id in visited:
                continue
            visited.add(node.id)
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(children.get(node.id, [])))

    for root in children.get(None, []):
        walk(root)
    out.extend(s for s in sites if s.id not in visited)  # not reachable from a root (cannot validate)
    return out


# ------------------------------------------------------------------ options


def parse_percent(option: str, text: str) -> float:
    match = _PERCENT.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise RolloutError(f"{option} {text!r}: expected a percentage such as 10%")
    value = float(match.group(1))
    if not 0 <= value <= 100:
        raise RolloutError(f"{option} {text}: a percentage between 0% and 100%")
    return value


def batch_size(text: str | None, count: int) -> int:
    """--batch SIZE or PCT% of `count` devices (rounded up), at least 1; None: one batch of all."""
    if text is None:
        return max(1, count)
    text = text.strip()
    if _COUNT.match(text):
        size = int(text)
        if size < 1:
            raise RolloutError(f"--batch {text}: a batch holds at least one device")
        return size
    if text.endswith("%"):
        share = parse_percent("--batch", text)
        if share <= 0:
            raise RolloutError(f"--batch {text}: a batch holds at least one device (more than 0%)")
        return max(1, math.ceil(count * share / 100))
    raise RolloutError(f"--batch {text!r}: a number of devices (such as 20) or a percentage (such as 10%)")


def canaries(text: str | None, ordered: list[Site]) -> list[Site]:
    """--canary N (the first N devices of the order) or --canary SITE[,SITE...] (those, in run order)."""
    if text is None:
        return []
    text = text.strip()
    if _COUNT.match(text):
        count = int(text)
        if not 1 <= count <= len(ordered):
            raise RolloutError(f"--canary {text}: between 1 and the {len(ordered)} selected device(s)")
        if count == len(ordered) and count > 1:
            raise RolloutError(f"--canary {text}: every selected device would be a canary; use fewer")
        return ordered[:count]
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise RolloutError("--canary: a number of devices or a comma list of site ids")
    selected = {s.id for s in ordered}
    unknown = [n for n in names if n not in selected]
    if unknown:
        shown = ", ".join(repr(n) for n in unknown[:5])
        raise RolloutError(f"--canary: {shown} not among the selected devices (check --limit and --shard)")
    wanted = set(names)
    return [s for s in ordered if s.id in wanted]


@dataclass
class Plan:
    """The stages of a run: [canaries], then the batches; each a list of sites in run order."""

    order: str
    canary: list[Site]
    batches: list[list[Site]]
    max_fail: float | None  # percent, or None for no threshold

    @property
    def stages(self) -> list[tuple[str, list[Site]]]:
        named = [("canary", self.canary)] if self.canary else []
        return named + [(f"batch {i}/{len(self.batches)}", b) for i, b in enumerate(self.batches, 1)]

    @property
    def sites(self) -> list[Site]:
        return [s for _, stage in self.stages for s in stage]

    def to_json(self) -> dict:
        return {"order": self.order, "canary": [s.id for s in self.canary],
                "batches": [len(b) for b in self.batches], "max_fail_percent": self.max_fail}


def plan(sites: list[Site], all_sites: list[Site], how: str = DEFAULT_ORDER, canary: str | None = None,
         batch: str | None = None, max_fail: str | None = None) -> Plan:
    """Validate every rollout option, then cut the stages; a RolloutError names the option."""
    threshold = parse_percent("--max-fail", max_fail) if max_fail is not None else None
    ordered = order(sites, all_sites, how)
    # an empty selection (a shard with no branch) is a valid run of nothing, whatever --canary N says
    first = canaries(canary, ordered) if ordered or not _COUNT.match((canary or "").strip()) else []
    chosen = {s.id for s in first}
    rest = [s for s in ordered if s.id not in chosen]
    size = batch_size(batch, len(rest))
    batches = [rest[i:i + size] for i in range(0, len(rest), size)]
    return Plan(how, first, batches, threshold)


# ------------------------------------------------------------------ the staged run


@dataclass
class _Tally:
    total: int
    threshold: float | None
    stop: report.Stop
    failed: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, result: Result) -> None:
        """Called on each worker's thread as its device finishes, before it starts another."""
        if not result.failed or result.status == "not-attempted":
            return
        with self.lock:
            self.failed.append(result.site)
            share = 100 * len(self.failed) / self.total
            if self.threshold is not None and share > self.threshold:
                self.stop.request(f"{len(self.failed)} of {self.total} device(s) failed ({share:.0f}%), "
                                  f"more than --max-fail {self.threshold:g}%")


def run(plan_: Plan, jobs: dict[str, object], job: Callable[[object], Result], workers: int, label: str,
        console: Console, show_progress: bool = True, stop: report.Stop | None = None) -> list[Result]:
    """Every stage in turn on `workers` threads; results in run order, `not-attempted` after a stop."""
    stop = stop or report.Stop()
    tally = _Tally(len(plan_.sites), plan_.max_fail, stop)

    results: list[Result] = []
    for name, stage in plan_.stages:
        items = [jobs[s.id] for s in stage]
        if stop.requested:
            results.extend(Result(s.id, "not-attempted", f"not started: {stop.reason}",
                                  details={"stage": name}) for s in stage)
            continue
        title = label if len(plan_.stages) == 1 else f"{label} {name}"
        done = report.run(items, job, workers, title, console, show_progress, stop, tally.record)
        for result in done:
            result.details.setdefault("stage", name)
        results.extend(done)
        if name == "canary":
            bad = [r for r in done if r.failed]
            if bad:
                first = bad[0]
                stop.request(f"canary {first.site} failed ({first.status})" +
                             (f" and {len(bad) - 1} more" if len(bad) > 1 else ""))
    return results
