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
