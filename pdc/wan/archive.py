"""The config archive: one git repository per environment, one file per device (`<site>.cfg`).

Every config pdc reads from a device for a backup (`pdc wan backup`, and the backups a push takes) is
committed here, and after a push the config it left: git's history is the record of every change, with
its time, and no file name carries a date. The files are the show command's output without its header,
with every secret value redacted (pdc.wan.redact): the archive holds no secret, and it is never a
restore source (a push restores from the config it holds in memory).

Where: `<PDC_STATE>/wan/archive/<ENV>/` (or `PDC_WAN_ARCHIVE/<ENV>`), folders 0700, files 0600.
Git runs through its CLI with an argument vector (no shell), with the user's and the system's git
config ignored and hooks off, so a planted config or hook never runs; file names are site ids (a
closed pattern) and are checked again here.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pdc import paths
from pdc.schema import SITE_ID
from pdc.wan import private_files
from pdc.wan.backup import clean
from pdc.wan.redact import redact

_SITE = re.compile(SITE_ID)
GIT_TIMEOUT = 120


class ArchiveError(RuntimeError):
    pass


@dataclass(frozen=True)
class Archived:
    text: str
    when: datetime  # the commit time of this version of the file


def root(env_name: str) -> Path:
    return Path(os.environ.get("PDC_WAN_ARCHIVE", paths.STATE / "wan" / "archive")) / env_name


def normalise(running: str, redactor=None) -> str:
    """What the archive stores for a running config: no header, trailing spaces gone, secrets redacted."""
    text = clean(running)
    if redactor is not None:
        text = redactor(text)
    return redact(text)


def _git_env() -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": "/nonexistent",
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0",
        "GIT_AUTHOR_NAME": "pdc", "GIT_AUTHOR_EMAIL": "pdc@localhost",
        "GIT_COMMITTER_NAME": "pdc", "GIT_COMMITTER_EMAIL": "pdc@localhost",
    }


class Archive:
    def __init__(self, env_name: str):
        self.env_name = env_name
        self.dir = root(env_name)

    # -------------------------------------------------------------- git
    def _git(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        command = ["git", "-c", "core.hooksPath=/dev/null", "-c", "commit.gpgSign=false", "-c", "gc.auto=0",
                   "-c", "core.quotePath=false", "-C", str(self.dir), *args]
        try:
            result = subprocess.run(command, input=stdin, capture_output=True, text=True, env=_git_env(),
                                    timeout=GIT_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ArchiveError(f"git {args[0]} in {self.dir}: {type(exc).__name__}") from None
        if check and result.returncode != 0:
            raise ArchiveError(f"git {args[0]} in {self.dir} failed: {result.stderr.strip()[-500:]}")
        return result

    @property
    def exists(self) -> bool:
        return (self.dir / ".git").is_dir() and not self.dir.is_symlink()

    def ensure(self) -> None:
        private_files.private_dir(self.dir)
        if not self.exists:
            self._git("init", "-q", "--template=", "-b", "main")

    # -------------------------------------------------------------- write
    def commit(self, configs: dict[str, str], message: str) -> str | None:
        """Write each device's (already normalised) config and commit them; the new commit's id, or None
        when nothing changed. Only the given devices' files are touched."""
        if not configs:
            return None
        for site_id in configs:
            _check_site(site_id)
        private_files.private_dir(self.dir.parent)
        # one writer at a time: shards on one host share the archive, and git's index takes one writer
        with _locked(self.dir.parent / f".{self.env_name}.lock"):
            self.ensure()
            names = []
            for site_id, text in sorted(configs.items()):
                private_files.write(self.dir / f"{site_id}.cfg", text)
                names.append(f"{site_id}.cfg")
            self._git("add", "--", *names)
            if self._git("diff", "--cached", "--quiet", check=False).returncode == 0:
                return None
            self._git("commit", "-q", "-m", _one_line(message))
            return self._git("rev-parse", "HEAD").stdout.strip()

    # -------------------------------------------------------------- read
    def archived(self, site_ids: list[str]) -> dict[str, Archived]:
        """The last committed config of each device that has one, with the time it was committed."""
        for site_id in site_ids:
            _check_site(site_id)
        if not self.exists or self._git("rev-parse", "-q", "--verify", "HEAD", check=False).returncode != 0:
            return {}
        wanted = {f"{s}.cfg": s for s in site_ids}
        when: dict[str, datetime] = {}
        log = self._git("log", "--format=%x00%cI", "--name-only", "HEAD").stdout
        stamp = None
        for line in log.splitlines():
            if line.startswith("\x00"):
                stamp = datetime.fromisoformat(line[1:])
            elif line in wanted and wanted[line] not in when and stamp is not None:
                when[wanted[line]] = stamp
        present = [s for s in site_ids if s in when]
        texts = self._cat([f"HEAD:{s}.cfg" for s in present])
        return {s: Archived(texts[i], when[s]) for i, s in enumerate(present) if texts[i] is not None}

    def _cat(self, specs: list[str]) -> list[str | None]:
        """Blob contents through one `git cat-file --batch` (no process per device)."""
        if not specs:
            return []
        command = ["git", "-C", str(self.dir), "cat-file", "--batch"]
        try:
            out = subprocess.run(command, input=("\n".join(specs) + "\n").encode(), capture_output=True,
                                 env=_git_env(), timeout=GIT_TIMEOUT, check=True).stdout
        except (OSError, subprocess.SubprocessError) as exc:
            raise ArchiveError(f"git cat-file in {self.dir}: {type(exc).__name__}") from None
        texts: list[str | None] = []
        pos = 0
        for _ in specs:
            end = out.index(b"\n", pos)
            header = out[pos:end].split()
            pos = end + 1
            if len(header) < 3 or header[-1] == b"missing" or header[1] != b"blob":
                texts.append(None)
                continue
            size = int(header[2])
            texts.append(out[pos:pos + size].decode("utf-8", "replace"))
            pos += size + 1
        return texts


@contextlib.contextmanager
def _locked(path: Path):
    """An exclusive lock on `path` (0600, never through a symlink), held for the block."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _check_site(site_id: str) -> None:
    if not isinstance(site_id, str) or not _SITE.match(site_id):
        raise ArchiveError(f"not a site id: {site_id!r}")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:200] or "pdc"
