"""Backups, session logs and state files: 0600 in 0700 folders whatever the umask, never through a link."""

from __future__ import annotations

import os

import pytest

from pdc.wan import private_files
from pdc.wan.backup import BackupRun
from pdc.wan.redact import MARK


@pytest.fixture(params=[0o000, 0o022, 0o077], ids=["umask-000", "umask-022", "umask-077"])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def _mode(path) -> int:
    return path.lstat().st_mode & 0o777


def test_folders_and_files_get_exact_modes_under_any_umask(tmp_path, umask):
    path = private_files.write(tmp_path / "a" / "b" / "file.txt", "text\n")
    assert path.read_text() == "text\n"
    assert _mode(path) == 0o600
    assert _mode(tmp_path / "a") == 0o700 and _mode(tmp_path / "a" / "b") == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["file.txt"]  # no temporary left behind


def test_a_file_is_created_with_its_mode_not_widened_then_narrowed(tmp_path, monkeypatch):
    seen = []
    real_open = os.open

    def spy(path, flags, mode=0o777, *args, **kwargs):
        seen.append((flags, mode))
        return real_open(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    private_files.write(tmp_path / "f", "x")
    flags, mode = seen[-1]
    assert mode == 0o600
    assert flags & os.O_EXCL and flags & os.O_NOFOLLOW and flags & os.O_CREAT


def test_a_planted_symlink_is_never_written_through(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("keep")
    (tmp_path / "log").symlink_to(target)
    with pytest.raises(FileExistsError):
        private_files.create(tmp_path / "log")
    assert target.read_text() == "keep"
    with pytest.raises(NotADirectoryError):
        private_files.private_dir(_linked_dir(tmp_path))


def _linked_dir(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "linked").symlink_to(real)
    return tmp_path / "linked"


def test_backups_are_private_and_redacted(tmp_path, monkeypatch, umask):
    monkeypatch.setenv("PDC_WAN_BACKUPS", str(tmp_path / "backups"))
    run = BackupRun("unit", lambda text: text.replace("OwnSecret-1", MARK), "20260101T000000Z")
    path = run.write("dc", "Building configuration...\nhostname dc\nsnmp-server community Foreign-9 RO\n"
                           "enable secret 0 OwnSecret-1\n")
    assert path.read_text() == f"hostname dc\nsnmp-server community {MARK} RO\nenable secret 0 {MARK}\n"
    assert _mode(path) == 0o600
    assert _mode(run.dir) == 0o700 and _mode(run.dir.parent) == 0o700
    assert run.write("dc", "hostname dc\n") == path  # a second write replaces it, still 0600
    assert _mode(path) == 0o600
