"""Running-config backups: one folder per run (UTC timestamp), one stable file name per device.

Stable names make a backup folder diffable with git or `diff -r` against the previous one;
`latest` points at the newest run. Secrets are redacted in the files (by pattern, whoever set
them): the restore path uses the config captured in memory, never these files. Folders are 0700
and files 0600 from the moment they exist.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from pdc import paths
from pdc.wan import private_files
from pdc.wan.redact import redact

_HEADER = re.compile(r"^(?:Building configuration\.\.\.|Current configuration : \d+ bytes)\s*$")


def root(env_name: str) -> Path:
    return Path(os.environ.get("PDC_WAN_BACKUPS", paths.STATE / "wan" / "backups")) / env_name


def clean(text: str) -> str:
    """The config without the show command's header (it holds a byte count that always changes)."""
    lines = [line.rstrip() for line in text.splitlines() if not _HEADER.match(line)]
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines) + "\n"


class BackupRun:
    def __init__(self, env_name: str, redact, stamp: str | None = None):
        self.redact = redact
        self.dir = root(env_name) / (stamp or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
        private_files.private_dir(self.dir.parent)
        private_files.private_dir(self.dir)
        latest = self.dir.parent / "latest"
        tmp = self.dir.parent / ".latest.tmp"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(self.dir.name)
        tmp.replace(latest)

    def write(self, site_id: str, running: str) -> Path:
        path = self.dir / f"{site_id}.cfg"
        # the patterns run here too, whatever redactor the caller passed
        return private_files.write(path, redact(self.redact(clean(running))))
