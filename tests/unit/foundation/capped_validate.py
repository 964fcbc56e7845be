"""Validate environment folders under a memory and CPU cap; print one JSON line per folder.

Run by test_hostile_input.py as ``python capped_validate.py MEM_MIB CPU_S DIR...``: MEM_MIB is the
address space allowed on top of what the interpreter holds once pdc is imported. Each folder is
loaded twice: with load_environment (the structured errors) and through the `pdc validate` command
(what a person sees). Anything but InvalidEnvironment, or a command that does not exit 1, is a
crash and is reported with its traceback, so the test can show it.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import traceback


def cap(memory_mib: int, cpu_seconds: int) -> None:
    with open("/proc/self/status", encoding="ascii") as status:
        held_kib = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    limit = held_kib * 1024 + memory_mib * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))


def check(folder: str) -> dict:
    from click.testing import CliRunner

    from pdc.cli.env import validate
    from pdc.environment import InvalidEnvironment, load_environment

    out: dict = {"folder": folder, "errors": [], "crash": None}
    started = time.perf_counter()
    try:
        load_environment(folder)
        out["crash"] = "validated: the hostile input was accepted"
    except InvalidEnvironment as exc:
        out["errors"] = [[e.file, e.line, e.field, e.message] for e in exc.errors]
    except BaseException:  # noqa: BLE001 - a MemoryError or RecursionError is exactly what we look for
        out["crash"] = traceback.format_exc()
    out["seconds"] = time.perf_counter() - started
    result = CliRunner().invoke(validate, [folder])
    out["cli_exit"] = result.exit_code
    out["cli_output"] = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        out["crash"] = "".join(traceback.format_exception(result.exception))
    return out


def main() -> None:
    memory_mib, cpu_seconds, *folders = sys.argv[1:]
    # import first, so the cap measures loading and not the interpreter's start-up
    import pdc.cli.env  # noqa: F401

    cap(int(memory_mib), int(cpu_seconds))
    for folder in folders:
        print(json.dumps(check(folder)), flush=True)


if __name__ == "__main__":
    main()
