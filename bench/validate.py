"""Time to validate the real-scale haiduong environment (load, schema, cross-checks)."""

from __future__ import annotations

from common import PDC, median_seconds, row, run

from pdc.environment import load_environment


def main() -> None:
    runs = 7
    in_process = median_seconds(lambda: load_environment("haiduong"), runs)
    command = median_seconds(lambda: run(PDC, "validate", "haiduong"), runs)
    env = load_environment("haiduong")
    size = f"{len(env.systems)} systems, {len(env.hosts)} hosts, {len(env.sites)} sites"
    row(f"validate haiduong, in process ({size}), median of {runs}", f"{in_process * 1000:.0f} ms", "goal < 1 s")
    row(f"`pdc validate haiduong` command, median of {runs}", f"{command * 1000:.0f} ms", "goal < 1 s")


if __name__ == "__main__":
    main()
