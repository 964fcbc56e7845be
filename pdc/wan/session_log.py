"""Netmiko session logs that never hold a secret: written line by line, each line redacted.

Netmiko writes whatever the channel returned, in chunks that can end mid-line, so a secret
could be split across two writes and escape a pattern. This log keeps the unfinished tail of
a chunk until its line ends (or the session closes), then redacts whole lines. The file is
created 0600 (never through a symlink, never over an existing file) in a 0700 folder.
"""

from __future__ import annotations

from pathlib import Path

from netmiko.session_log import SessionLog

from pdc.wan import private_files
from pdc.wan.redact import LineRedactor


class RedactedSessionLog(SessionLog):
    def __init__(self, path: Path, redact_known):
        """``redact_known``: replaces the secrets pdc itself holds (credentials.Redactor)."""
        super().__init__(file_name=str(path), record_writes=True)
        self.path = Path(path)
        self.redact_known = redact_known
        self.lines = LineRedactor()
        self.pending = ""

    def open(self) -> None:
        private_files.private_dir(self.path.parent)
        self.path.unlink(missing_ok=True)  # a rerun of the same run stamp; O_EXCL below still holds
        self.session_log = private_files.create(self.path, encoding=self.file_encoding)
        self._session_log_close = True

    def _flush_buffer(self, final: bool = False) -> None:
        if self.session_log is None:
            return
        data = self.pending + self._read_buffer()
        cut = max(data.rfind("\n"), data.rfind("\r")) + 1
        complete, self.pending = (data, "") if final else (data[:cut], data[cut:])
        if complete:
            self._write("".join(self.lines.line(self.redact_known(line))
                                for line in complete.splitlines(keepends=True)))
