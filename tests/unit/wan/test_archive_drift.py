"""The config archive (git, one redacted file per device) and drift's comparisons, without devices."""

from __future__ import annotations

import socket
import subprocess
from datetime import datetime

import pytest

from pdc.wan import archive, drift, report, soc
from pdc.wan.verify import Configs

RUNNING = """Building configuration...

Current configuration : 123 bytes
!
hostname sw1
enable secret 9 $9$abcdefgh$ijklmnopqrstuvwxyz0123456789
username pdcadmin privilege 15 secret 9 $9$zzzz$yyyy
snmp-server community SuperSecret RO
no ip http server
!
end
"""


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("PDC_WAN_ARCHIVE", str(tmp_path / "archive"))
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))  # the caller's git environment is ignored
    return archive.Archive("lab")


def test_each_device_is_one_redacted_file_committed_to_git(store):
    commit = store.commit({"sw-1": archive.normalise(RUNNING)}, "backup lab\nsecond line")
    assert commit and len(commit) == 40
    files = sorted(p.name for p in store.dir.iterdir())
    assert files == [".git", "sw-1.cfg"]
    text = (store.dir / "sw-1.cfg").read_text()
    assert "SuperSecret" not in text and "$9$" not in text and "Current configuration" not in text
    assert "snmp-server community <redacted> RO" in text
    assert oct(store.dir.stat().st_mode & 0o777) == "0o700"
    assert oct((store.dir / "sw-1.cfg").stat().st_mode & 0o777) == "0o600"
    # the same content again is no new commit; a change is
    assert store.commit({"sw-1": archive.normalise(RUNNING)}, "again") is None
    assert store.commit({"sw-1": archive.normalise(RUNNING.replace("sw1", "sw2"))}, "renamed")
    log = subprocess.run(["git", "-C", str(store.dir), "log", "--format=%s"], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin"}, check=True).stdout.splitlines()
    assert log == ["renamed", "backup lab second line"]


def test_reading_back_gives_the_last_version_and_its_time(store):
    assert store.archived(["sw-1"]) == {}  # no archive yet
    store.commit({"sw-1": "a\n", "sw-2": "b\n"}, "one")
    store.commit({"sw-1": "c\n"}, "two")
    got = store.archived(["sw-1", "sw-2", "sw-3"])
    assert set(got) == {"sw-1", "sw-2"}
    assert got["sw-1"].text == "c\n" and got["sw-2"].text == "b\n"
    assert isinstance(got["sw-1"].when, datetime) and got["sw-1"].when >= got["sw-2"].when


@pytest.mark.parametrize("name", ["../x", "a/b", "X", "-rf", "a\nb", ""])
def test_a_file_name_is_always_a_site_id(store, name):
    with pytest.raises(archive.ArchiveError, match="not a site id"):
        store.commit({name: "x\n"}, "m")


def test_a_planted_hook_or_config_never_runs(store, tmp_path):
    store.commit({"sw-1": "a\n"}, "one")
    marker = tmp_path / "pwned"
    hook = store.dir / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    assert store.commit({"sw-1": "b\n"}, "two")
    assert not marker.exists()


class _Creds:
    @staticmethod
    def redactor():
        return lambda text: text


class _Target:
    class site:  # noqa: N801 - shaped like a Site
        id = "sw-1"
        platform = "cisco_ios"


def _job(monkeypatch, running, startup, archived, intended=None):
    monkeypatch.setattr(drift, "_read", lambda job: (Configs(running, startup), None))
    when = datetime.fromisoformat("2026-12-07T10:00:00+00:00")
    stored = archive.Archived(archive.normalise(archived), when) if archived is not None else None
    return drift.DriftJob(_Target(), intended or running, _Creds(), archived=stored)


def test_drift_finds_nothing_when_all_three_agree(monkeypatch):
    result = drift.drift_device(_job(monkeypatch, RUNNING, RUNNING, RUNNING))
    assert result.status == "compliant" and result.details["findings"] == []
    assert drift.exit_code([result]) == 0


def test_drift_reports_a_hand_change_with_its_diff_and_time_and_an_unsaved_one(monkeypatch):
    changed = RUNNING.replace("no ip http server", "ip http server")
    result = drift.drift_device(_job(monkeypatch, changed, RUNNING, RUNNING, intended=RUNNING))
    assert result.status == "drift" and result.details["findings"] == ["intended", "archive", "unsaved"]
    assert result.details["archived_at"] == "2026-12-07T10:00:00+00:00"
    lines = result.details["archive_diff"].splitlines()
    assert lines[:2] == ["--- archived 2026-12-07T10:00:00+00:00", "+++ running"]
    assert "-no ip http server" in lines and "+ip http server" in lines
    assert "no ip http server" in result.details["remediation"]
    assert "SuperSecret" not in str(result.details)
    assert drift.exit_code([result]) == 2
    assert drift.exit_code([result, report.Result("sw-2", "unreachable")]) == 1


def test_a_device_never_archived_is_said_so(monkeypatch):
    result = drift.drift_device(_job(monkeypatch, RUNNING, RUNNING, None))
    assert result.details["findings"] == ["not-archived"] and "pdc wan backup" in result.reason


def test_the_syslog_line_holds_no_device_text_and_reaches_the_collector():
    hostile = report.Result("sw-1\n<13>1 forged", "drift", details={"findings": ["archive", "x y\nz"]}, lines=3)
    line = soc.line("lab", hostile, hostname="ctl", now=0)
    assert "\n" not in line and line.startswith("<164>1 1970-01-01T00:00:00Z ctl pdc-wan-drift - - - env=lab ")
    assert "site=sw-1_<13>1_forged" not in line and "site=sw-1__13_1_forged" in line
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(2)
        from ipaddress import IPv4Address

        target = soc.Collector(IPv4Address("127.0.0.1"), sock.getsockname()[1], "udp")
        soc.send([target], [soc.line("lab", report.Result("sw-2", "compliant"), hostname="ctl", now=0)])
        data = sock.recv(4096).decode()
    assert data.startswith("<166>1 ") and data.endswith("site=sw-2 status=compliant findings=none remediation_lines=0")


def test_the_collectors_are_the_environment_syslog_servers(lab):
    from pdc.flows import flows

    got = soc.collectors(lab)
    assert got and [c.address for c in got] == flows(lab).server_addresses("syslog", without_devices=True)
    assert {(c.port, c.transport) for c in got} == {(514, "udp")}


def test_writers_of_one_archive_take_turns(store):
    from concurrent.futures import ThreadPoolExecutor

    def write(n):
        return archive.Archive("lab").commit({f"sw-{n}": f"config {n}\n"}, f"shard {n}")

    with ThreadPoolExecutor(max_workers=4) as pool:
        commits = list(pool.map(write, range(1, 9)))
    assert all(commits) and len(set(commits)) == 8
    assert set(store.archived([f"sw-{n}" for n in range(1, 9)])) == {f"sw-{n}" for n in range(1, 9)}
