"""Session logs: every line redacted even when Netmiko's chunks split it; a private file."""

from __future__ import annotations

import pytest

from pdc.wan.credentials import Redactor
from pdc.wan.redact import MARK
from pdc.wan.session_log import RedactedSessionLog

OUTPUT = ("dc#show running-config\r\nhostname dc\r\nsnmp-server community Foreign-Comm-1 RO\r\n"
          "tacacs server TAC\r\n key Block-Key-22\r\n!\r\nusername pdc privilege 15 password 0 Own-Pass-123\r\n"
          "dc#")
SECRETS = ["Foreign-Comm-1", "Block-Key-22", "Own-Pass-123"]


def _log(tmp_path):
    log = RedactedSessionLog(tmp_path / "sessions" / "dc.log", Redactor(["Own-Pass-123"]))
    log.open()
    return log


@pytest.mark.parametrize("size", [1, 3, 7, 16, 1000])
def test_chunks_that_split_a_secret_still_leave_no_trace(tmp_path, size):
    log = _log(tmp_path)
    for start in range(0, len(OUTPUT), size):
        log.write(OUTPUT[start:start + size])
        written = (tmp_path / "sessions" / "dc.log").read_text()
        assert not any(s[:5] in written for s in SECRETS)  # not even a fragment reached the file
    log.close()
    text = (tmp_path / "sessions" / "dc.log").read_text()
    assert not any(s in text for s in SECRETS)
    assert f"snmp-server community {MARK} RO" in text and f" key {MARK}" in text
    assert text.endswith("dc#")  # the unfinished last line is written at close


def test_the_log_is_private_and_never_follows_a_link(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (tmp_path / "sessions").mkdir(mode=0o755)
    (tmp_path / "sessions" / "dc.log").symlink_to(victim)
    log = _log(tmp_path)
    log.write("hostname dc\n")
    log.close()
    path = tmp_path / "sessions" / "dc.log"
    assert victim.read_text() == "keep" and not path.is_symlink()
    assert path.read_text() == "hostname dc\n"
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
