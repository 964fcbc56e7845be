"""Every broken environment of the corpus yields its one expected error, with file, line and field."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pdc.environment import InvalidEnvironment, load_environment

HERE = Path(__file__).parent
MINIMAL = HERE / "minimal"
CASES = yaml.safe_load((HERE / "broken.yml").read_text(encoding="utf-8"))


def broken_copy(case: dict, tmp_path: Path) -> Path:
    env = tmp_path / case["name"]
    shutil.copytree(MINIMAL, env)
    target = env / case["file"]
    old, new = case["replace"]
    text = target.read_text(encoding="utf-8")
    assert old in text, f"case {case['name']}: {old!r} not in {case['file']}"
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return env


def test_corpus_is_large_enough():
    assert len(CASES) >= 15
    assert len({c["name"] for c in CASES}) == len(CASES)


def test_minimal_environment_is_valid():
    env = load_environment(MINIMAL)
    assert [s.id for s in env.systems] == ["infra", "portal"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_broken_environment_reports_its_error(case, tmp_path):
    env = broken_copy(case, tmp_path)
    with pytest.raises(InvalidEnvironment) as caught:
        load_environment(env)
    expect = case["expect"]
    matching = [
        e for e in caught.value.errors
        if e.file.endswith(case["file"]) and e.line == expect["line"] and e.field == expect["field"]
        and expect["message"] in e.message
    ]
    assert matching, "expected error not found; got:\n" + "\n".join(map(str, caught.value.errors))


@pytest.mark.parametrize("case", CASES[:3], ids=[c["name"] for c in CASES[:3]])
def test_cli_prints_the_error_and_no_traceback(case, tmp_path):
    env = broken_copy(case, tmp_path)
    result = subprocess.run([sys.executable, "-m", "pdc.cli", "validate", str(env)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert f"{case['file']}:{case['expect']['line']}" in result.stderr
