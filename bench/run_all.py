"""`make bench`: run every benchmark script and join their rows into one markdown table.

Each script `bench/<area>.py` prints rows `| figure | value | compared with |` on stdout.
The joined table is printed and written to bench/results.md.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
HEADER = "| figure | value | compared with |\n|---|---|---|"


def main() -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in {"run_all.py", "common.py"})
    only = set(sys.argv[1:])
    rows: list[str] = []
    failed = []
    for script in scripts:
        if only and script.stem not in only:
            continue
        started = time.monotonic()
        print(f"bench: {script.stem} ...", file=sys.stderr, flush=True)
        result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=False)
        took = time.monotonic() - started
        if result.returncode != 0:
            failed.append(script.stem)
            rows.append(f"| {script.stem}: FAILED (exit {result.returncode}) | see stderr | |")
            sys.stderr.write(result.stderr[-3000:])
        rows.extend(line for line in result.stdout.splitlines() if line.startswith("|"))
        print(f"bench: {script.stem} done in {took:.0f} s", file=sys.stderr, flush=True)
    table = HEADER + "\n" + "\n".join(rows) + "\n"
    (HERE / "results.md").write_text(table, encoding="utf-8")
    print(table)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
