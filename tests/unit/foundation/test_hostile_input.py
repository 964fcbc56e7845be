"""The hostile-input corpus (hostile.yml): every case is refused with file, line and field, with no
traceback, inside a memory and CPU cap.

All cases are prepared once, then validated in one capped subprocess (capped_validate.py), so a
case that would exhaust memory or loop fails its test instead of taking the test run down.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pdc.yamlsource import MAX_BYTES, MAX_NODES

HERE = Path(__file__).parent
MINIMAL = HERE / "minimal"
CASES = yaml.safe_load((HERE / "hostile.yml").read_text(encoding="utf-8"))
MEMORY_MIB = 256  # on top of the interpreter with pdc imported: the whole corpus needs a few MiB
CPU_SECONDS = 20
WALL_SECONDS = 60


def _replace(text: str, old: str, new: str, case: str) -> str:
    assert old in text, f"case {case}: {old!r} not found"
    return text.replace(old, new, 1)


def prepare(case: dict, root: Path) -> Path:
    env = root / case["name"]
    shutil.copytree(MINIMAL, env)
    target = env / case["file"]
    if "write" in case:
        target.write_text(case["write"], encoding="utf-8")
    if "replace" in case:
        text = _replace(target.read_text(encoding="utf-8"), *case["replace"], case["name"])
        if "also" in case:
            text = _replace(text, *case["also"], case["name"])
        data = text.encode("utf-8")
        if case.get("invalid_utf8"):
            data = data.replace("\xff".encode(), b"\xff")
        target.write_bytes(data)
    make = case.get("make")
    if make:
        target.unlink()
    if make == "symlink-dev-zero":
        target.symlink_to("/dev/zero")
    elif make == "fifo":
        os.mkfifo(target)
    elif make == "socket":
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(str(target))
    elif make == "directory":
        target.mkdir()
    elif make == "symlink-outside":
        outside = root / f"{case['name']}-outside"
        outside.mkdir()
        shutil.copy(MINIMAL / case["file"], outside / case["file"])
        target.symlink_to(outside / case["file"])
    elif make == "symlink-loop":
        other = env / "loop.yml"
        other.symlink_to(target)
        target.symlink_to(other)
    elif make == "many-nodes":  # 2 MB of one-character items: small, but more nodes than allowed
        target.write_text("sites:\n" + "- a\n" * (MAX_NODES + 10), encoding="utf-8")
    elif make == "huge":
        with target.open("wb") as handle:
            handle.truncate(MAX_BYTES + 1)  # sparse: costs no disk
    return env


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("hostile")
    folders = {str(prepare(case, root)): case["name"] for case in CASES}
    run = subprocess.run(
        [sys.executable, str(HERE / "capped_validate.py"), str(MEMORY_MIB), str(CPU_SECONDS), *folders],
        capture_output=True, text=True, timeout=WALL_SECONDS, check=False,
        env={**os.environ, "COLUMNS": "200"})
    out = {}
    for line in run.stdout.splitlines():
        result = json.loads(line)
        out[folders[result["folder"]]] = result
    out["_stderr"] = {"text": run.stderr, "code": run.returncode}
    return out


def test_corpus_is_large_and_names_are_unique():
    assert len(CASES) >= 40
    assert len({c["name"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_hostile_input_is_refused_with_file_line_and_field(case, results):
    result = results.get(case["name"])
    assert result is not None, f"the capped run died before this case: {results['_stderr']}"
    assert result["crash"] is None, result["crash"]
    expect = case["expect"]
    file = case.get("expect_file", case["file"])

    def matches(error):
        err_file, line, field, message = error
        same_field = field.startswith(expect["field"]) if expect.get("field_prefix") else field == expect["field"]
        return err_file.endswith(file) and line == expect["line"] and same_field and expect["message"] in message

    shown = "\n".join(map(str, result["errors"]))
    assert any(map(matches, result["errors"])), f"expected {expect} in {file}; got:\n{shown}"
    # what a person sees: exit 1, the error's place, no traceback, no raw control character
    assert result["cli_exit"] == 1, result["cli_output"]
    assert "Traceback" not in result["cli_output"]
    where = f"{file}:{expect['line']}" if expect["line"] else file
    assert where in result["cli_output"]
    printed = result["cli_output"].replace("\n", "")
    assert printed.isprintable(), repr(printed)
    assert result["seconds"] < 2, f"took {result['seconds']:.1f} s"
