"""Run ansible-playbook against a lab environment for the tests and benches, with a log to read.

The output streams into a log file as it comes, so a run that CI kills still says how far it
got, and every task is bounded (ANSIBLE_TASK_TIMEOUT) so one hung task fails that task instead
of holding the whole run until the caller's timeout.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pdc import paths

ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
TASK_TIMEOUT = int(os.environ.get("PDC_TASK_TIMEOUT", "900"))
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


@dataclass
class PlaybookRun:
    rc: int
    output: str
    seconds: float
    log: Path

    @property
    def returncode(self) -> int:
        return self.rc

    @property
    def recap(self) -> dict[str, dict[str, int]]:
        return {m[0]: {"ok": int(m[1]), "changed": int(m[2]), "unreachable": int(m[3]), "failed": int(m[4])}
                for m in RECAP.findall(self.output)}

    def tail(self, chars: int = 6000) -> str:
        return f"(full log: {self.log})\n" + self.output[-chars:]


def run_playbook(env_dir: Path, playbook: str, *args: str, timeout: int = 3000) -> PlaybookRun:
    """ansible-playbook -i ENV_DIR playbooks/PLAYBOOK ARGS; its log sits next to ENV_DIR."""
    log = env_dir.parent / f"{env_dir.name}-{Path(playbook).stem}-{time.strftime('%Y%m%dT%H%M%S')}.log"
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0",
           "ANSIBLE_TASK_TIMEOUT": str(TASK_TIMEOUT), "ANSIBLE_LOG_PATH": str(log.with_suffix(".timed.log"))}
    start = time.monotonic()
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen([str(ANSIBLE_PLAYBOOK), "-i", str(env_dir), str(paths.ROOT / "playbooks" / playbook),
                                 *args], cwd=paths.ROOT, stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            out.write(f"\n[pdc] ansible-playbook killed after {timeout} s\n")
            rc = -signal.SIGKILL
    return PlaybookRun(rc, log.read_text(encoding="utf-8", errors="replace"), time.monotonic() - start, log)
