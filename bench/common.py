"""Helpers shared by the benchmark scripts: timing with medians, and table rows."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PDC = str(ROOT / ".venv" / "bin" / "pdc")


def median_seconds(action: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)


def row(figure: str, value: str, compared_with: str) -> None:
    print(f"| {figure} | {value} | {compared_with} |", flush=True)
