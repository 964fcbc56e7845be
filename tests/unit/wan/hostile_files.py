"""Files an attacker or a slip plants where the WAN engine reads: each must be refused or ignored,
never followed into a hang or a full memory."""

from __future__ import annotations

import os
from pathlib import Path


def plant(file: Path, kind: str, limit: int, outside: str = "") -> None:
    """Put a hostile ``kind`` of file at ``file``; ``huge`` is one byte over ``limit``."""
    if kind == "dev-zero":
        file.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(file)
    elif kind == "folder":
        file.mkdir()
    elif kind == "huge":
        with open(file, "wb") as handle:
            handle.truncate(limit + 1)
    elif kind == "escaping-link":
        target = file.parent.parent / f"outside-{file.name}"
        target.write_text(outside)
        file.symlink_to(target)
    else:
        raise ValueError(kind)
