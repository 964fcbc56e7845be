"""Each container's cgroups, on a stand-in cgroup filesystem (the real one is used by the lab tests)."""

from __future__ import annotations

import subprocess

import pytest

from pdc.lab import cgroup
from pdc.lab.state import LabState


@pytest.fixture
def hybrid(tmp_path, monkeypatch):
    """The layout of these machines: name=systemd (v1) plus the unified tree."""
    for name in ("systemd", "unified", "cpu"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "cgroup.procs").write_text("")
    monkeypatch.setattr(cgroup, "CGROUP_FS", tmp_path)
    return tmp_path


def test_hierarchies_are_the_ones_systemd_tracks_processes_with(hybrid, tmp_path):
    assert cgroup.hierarchies() == [hybrid / "systemd", hybrid / "unified"]
    (hybrid / "cgroup.controllers").write_text("")
    assert cgroup.hierarchies() == [hybrid], "a unified-only machine has one tree"


def test_every_start_gets_fresh_cgroups_in_each_hierarchy(hybrid):
    state = LabState("demo")
    first = cgroup.new_for(state, "web-01")
    second = cgroup.new_for(state, "web-01")
    assert [p.parent.parent for p in first] == [hybrid / "systemd/pdc-lab/demo", hybrid / "unified/pdc-lab/demo"]
    assert not set(first) & set(second)


def test_wrap_moves_the_shell_then_execs_the_command(tmp_path):
    procs = [tmp_path / "a.procs", tmp_path / "b procs"]
    out = subprocess.run(cgroup.wrap(["sh", "-c", "echo $$", "x"], procs), capture_output=True, text=True,
                         check=True).stdout
    assert procs[0].read_text() == procs[1].read_text() == out, "the command runs as the moved process"


def test_pids_and_remove_by_host(hybrid):
    state = LabState("demo")
    web, db = cgroup.new_for(state, "web-01"), cgroup.new_for(state, "db-01")
    (web[0].parent / "payload").mkdir()
    (web[0].parent / "payload" / "cgroup.procs").write_text("41\n42\n")
    db[1].write_text("7\n")
    assert cgroup.pids(state, "web-01") == [41, 42]
    assert cgroup.pids(state) == [7, 41, 42]
    for procs in web + db:  # a real cgroupfs has no files to delete; the stand-in does
        for f in procs.parent.rglob("cgroup.procs"):
            f.unlink()
    cgroup.remove(state, "web-01")
    assert not web[0].parent.exists() and db[0].parent.exists(), "only the named host's cgroups go"
    cgroup.remove(state)
    assert not (hybrid / "systemd/pdc-lab").exists() and not (hybrid / "unified/pdc-lab").exists()
