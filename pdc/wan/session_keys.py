"""Per-device known_hosts files for one run: each session parses its own device's pinned keys only.

Netmiko has paramiko load the whole known_hosts file for every session, and paramiko's HostKeys.add
compares each entry with every entry already loaded: loading N entries costs O(N^2), once per
session. Measured on the 2-core lab machine: 10 ms per session for haiduong's 248 devices (2.6 s of
CPU per run), 0.7 s per session for 2,481 (about 30 minutes of CPU per run). So a run reads the
environment's known_hosts once, and gives each device's session a file holding only that device's
lines (the same lines, byte for byte): the check itself does not change (strict, that file only; a
device with no line gets an empty file and is `host-key-unknown`; a changed key is still a mismatch).

The files live in a private temporary folder (0700, files 0600) removed when the process ends. A
known_hosts with hashed host names (`|1|...`) cannot be split by name: its devices keep the whole file.
"""

from __future__ import annotations

import atexit
import dataclasses
import shutil
import tempfile
from pathlib import Path

import paramiko

from pdc import yamlsource
from pdc.wan import known_hosts, private_files


def split(targets: dict) -> dict:
    """The same targets, each with a known_hosts file of its own device's lines."""
    files = {t.known_hosts for t in targets.values() if t.known_hosts is not None}
    by_file = {f: _lines_by_name(f) for f in files}
    if not targets or any(lines is None for lines in by_file.values()):
        return targets
    folder = Path(tempfile.mkdtemp(prefix="pdc-session-keys-"))
    atexit.register(shutil.rmtree, folder, True)
    private_files.private_dir(folder)
    out = {}
    for n, (site_id, target) in enumerate(sorted(targets.items())):
        if target.known_hosts is None:
            out[site_id] = target
            continue
        lines = by_file[target.known_hosts].get(known_hosts.entry_name(target.host, target.port), [])
        own = private_files.write(folder / f"{n}.known_hosts", "".join(line + "\n" for line in lines))
        out[site_id] = dataclasses.replace(target, known_hosts=own)
    return out


def _lines_by_name(file: Path) -> dict[str, list[str]] | None:
    """Each host name's lines; {} for a missing file (every device unknown); None when it cannot be
    split (hashed names, or unreadable: the session then reads the file itself and says why)."""
    if not file.exists() and not file.is_symlink():
        return {}
    try:
        text = yamlsource.read_bounded(file, str(file), root=Path("/"), limit=known_hosts.MAX_BYTES).decode()
    except (yamlsource.SourceError, UnicodeDecodeError):
        return None
    names: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            entry = paramiko.hostkeys.HostKeyEntry.from_line(line, number)
        except (ValueError, paramiko.SSHException, paramiko.hostkeys.InvalidHostKey):
            return None
        for name in entry.hostnames if entry else ():
            if name.startswith("|"):
                return None
            names.setdefault(name, []).append(line)
    return names
