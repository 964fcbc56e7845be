"""Running the system tools the lab drives, with errors that show the command and its output."""

from __future__ import annotations

import subprocess

from pdc.lab.errors import LabError


def run(cmd: list[str], *, check: bool = True, input: str | None = None, timeout: float | None = 600,
        env: dict | None = None) -> subprocess.CompletedProcess:
    try:
        result = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout, env=env)
    except FileNotFoundError as exc:
        raise LabError(f"{cmd[0]}: not found ({exc})") from exc
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"timed out after {timeout}s: {' '.join(cmd)}") from exc
    if check and result.returncode != 0:
        output = (result.stderr or result.stdout).strip()[-2000:]
        raise LabError(f"command failed ({result.returncode}): {' '.join(cmd)}\n{output}")
    return result


def ok(cmd: list[str]) -> bool:
    """Run a command whose failure is an answer, not an error (e.g. 'does this exist?')."""
    return subprocess.run(cmd, capture_output=True).returncode == 0
