"""`make bench`: run every benchmark script and join their rows into one markdown table.

Each script `bench/<area>.py` prints rows `| figure | value | compared with |` on stdout.
Each script's rows are kept in bench/results/<area>.md; bench/results.md joins them all, so
`python bench/run_all.py wan` refreshes the WAN rows and keeps the others' last figures.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
RESULTS = HERE / "results"
HEADER = "| figure | value | compared with |\n|---|---|---|"


def main() -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in {"run_all.py", "common.py"})
    only = set(sys.argv[1:])
    failed = []
    RESULTS.mkdir(exist_ok=True)
    for script in scripts:
        if only and script.stem not in only:
            continue
        started = time.monotonic()
        print(f"bench: {script.stem} ...", file=sys.stderr, flush=True)
        result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=False)
        took = time.monotonic() - started
        rows = [line for line in result.stdout.splitlines() if line.startswith("|")]
        if result.returncode != 0:
            failed.append(script.stem)
            rows.append(f"| {script.stem}: FAILED (exit {result.returncode}) | see stderr | |")
            sys.stderr.write(result.stderr[-3000:])
        (RESULTS / f"{script.stem}.md").write_text("".join(row + "\n" for row in rows), encoding="utf-8")
        print(f"bench: {script.stem} done in {took:.0f} s", file=sys.stderr, flush=True)
    table = HEADER + "\n" + "".join(part.read_text(encoding="utf-8") for part in sorted(RESULTS.glob("*.md")))
    (HERE / "results.md").write_text(table, encoding="utf-8")
    print(table)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
