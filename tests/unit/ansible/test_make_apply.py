"""`make site/harden/wan-push` apply only with APPLY=1; any other value is a dry run (issue 13, item 11)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from pdc import paths

TARGETS = ("site", "harden", "wan-push")
DRY_RUN = {"site": "--check --diff", "harden": "--check --diff"}


def planned_commands(*assignments: str) -> dict[str, str]:
    """The command each target would run (`make -n` prints recipes without running them)."""
    run = subprocess.run(["make", "-n", "--no-print-directory", *TARGETS, *assignments], cwd=paths.ROOT,
                         capture_output=True, text=True, timeout=30, check=True)
    out = {}
    for line in run.stdout.splitlines():
        if "ansible-playbook" in line:
            out["site" if "playbooks/site.yml" in line else "harden"] = line
        elif "pdc wan push" in line:
            out["wan-push"] = line
    assert set(out) == set(TARGETS), run.stdout
    return out


def applies(commands: dict[str, str]) -> dict[str, bool]:
    return {target: (DRY_RUN[target] not in line if target in DRY_RUN else "--apply" in line)
            for target, line in commands.items()}


pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


@pytest.mark.parametrize("assignments", [(), ("APPLY=0",), ("APPLY=",), ("APPLY=no",), ("APPLY=true",),
                                         ("APPLY=yes",), ("APPLY=10",), ("APPLY=1 0",)])
def test_anything_but_apply_1_is_a_dry_run(assignments):
    assert applies(planned_commands(*assignments)) == dict.fromkeys(TARGETS, False)


def test_apply_1_applies():
    assert applies(planned_commands("APPLY=1")) == dict.fromkeys(TARGETS, True)
