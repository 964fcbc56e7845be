"""Files only their owner may read: 0700 folders, 0600 files, with no moment of a wider mode.

The modes are given at creation (os.mkdir / os.open), which the umask can only narrow, then set
exactly with chmod/fchmod so a restrictive umask cannot leave them unusable. Files are opened
with O_EXCL and O_NOFOLLOW: a planted file or symlink is never written through.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def private_dir(path: Path) -> Path:
    """``path`` and any missing parents created 0700; ``path`` itself is made 0700 if it existed."""
    path = Path(path)
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            os.mkdir(folder, DIR_MODE)
        except FileExistsError:
            continue  # another worker made it
        os.chmod(folder, DIR_MODE, follow_symlinks=False)
    if path.is_symlink() or not path.is_dir():
        raise NotADirectoryError(f"{path}: not a folder (or a symlink)")
    os.chmod(path, DIR_MODE)
    return path


def create(path: Path, encoding: str = "utf-8", mode: str = "w"):
    """A new file opened for writing, 0600; fails if anything (even a dangling symlink) is there."""
    fd = os.open(path, _CREATE, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, mode, encoding=None if "b" in mode else encoding)


def write(path: Path, text: str) -> Path:
    """``text`` to ``path`` (0600), replacing it atomically; the folder is made private first."""
    path = Path(path)
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with create(tmp) as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
