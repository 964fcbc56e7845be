"""The runner and its report: one device's crash is an `error` row, exit-relevant, and JSON is exact."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

from rich.console import Console

from pdc.wan import report


@dataclass
class Item:
    site: str


def job(item: Item) -> report.Result:
    if item.site == "bad":
        raise ValueError("boom")
    return report.Result(item.site, "ok", lines=3)


def test_a_crashing_device_does_not_stop_the_others(tmp_path):
    items = [Item("a"), Item("bad"), Item("c")]
    results = report.run(items, job, 2, "test", Console(file=io.StringIO()), show_progress=False)
    assert [(r.site, r.status) for r in results] == [("a", "ok"), ("bad", "error"), ("c", "ok")]
    assert "ValueError: boom" in results[1].reason and results[1].failed
    path = report.write_json(results, "push", "unit", tmp_path / "r.json", {"apply": True})
    data = json.loads(path.read_text())
    assert data["summary"] == {"error": 1, "ok": 2} and data["failed"] == ["bad"]
    assert [d["site"] for d in data["devices"]] == ["a", "bad", "c"]


def test_a_stop_request_skips_every_queued_device_and_lets_running_ones_finish():
    import threading

    stop = report.Stop()
    started = threading.Event()
    release = threading.Event()

    def slow(item: Item) -> report.Result:
        if item.site == "first":
            started.set()
            release.wait(5)
        return report.Result(item.site, "ok")

    items = [Item("first"), *(Item(f"queued-{i}") for i in range(5))]
    outcome: list = []
    runner = threading.Thread(target=lambda: outcome.extend(
        report.run(items, slow, 1, "test", Console(file=io.StringIO()), show_progress=False, stop=stop)))
    runner.start()
    assert started.wait(5)
    assert stop.request("interrupted by SIGINT") and not stop.request("interrupted by SIGTERM")
    release.set()
    runner.join(5)
    assert [(r.site, r.status) for r in outcome] == [("first", "ok")] + [(f"queued-{i}", "not-attempted")
                                                                         for i in range(5)]
    assert outcome[1].reason == "not started: interrupted by SIGINT" and outcome[1].failed
