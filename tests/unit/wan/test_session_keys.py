"""Per-device known_hosts files: the same pinned lines, one device each; unsplittable files kept whole."""

from __future__ import annotations

from pdc.wan import connect, known_hosts, session_keys


def _key_line(name):
    return f"{name} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


def _targets(lab, file):
    return {s.id: connect.Target(s, "127.0.0.1", 22000 + i, file) for i, s in enumerate(lab.sites[:3])}


def test_each_device_gets_its_own_lines_only(lab, tmp_path):
    file = tmp_path / "known_hosts"
    file.write_text("# comment\n" + "".join(_key_line(f"[127.0.0.1]:{22000 + i}") + "\n" for i in (0, 1))
                    + _key_line("10.0.0.9") + "\n")
    out = session_keys.split(_targets(lab, file))
    texts = {site: target.known_hosts.read_text() for site, target in out.items()}
    first, second, third = (s.id for s in lab.sites[:3])
    assert texts[first] == _key_line("[127.0.0.1]:22000") + "\n"
    assert texts[second] == _key_line("[127.0.0.1]:22001") + "\n"
    assert texts[third] == ""  # no pinned key: the session refuses it (host-key-unknown)
    assert oct(out[first].known_hosts.stat().st_mode & 0o777) == "0o600"
    assert oct(out[first].known_hosts.parent.stat().st_mode & 0o777) == "0o700"
    assert known_hosts.load(out[first].known_hosts).lookup("[127.0.0.1]:22000") is not None
    assert {(t.host, t.port, t.site) for t in out.values()} == {(t.host, t.port, t.site)
                                                                 for t in _targets(lab, file).values()}


def test_hashed_names_or_an_unreadable_file_keep_the_whole_file(lab, tmp_path):
    hashed = tmp_path / "hashed"
    hashed.write_text(_key_line("|1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=|aGFzaGhhc2hoYXNoaGFzaGhhc2g=") + "\n")
    assert session_keys.split(_targets(lab, hashed)) == _targets(lab, hashed)
    fifo = tmp_path / "fifo"
    import os

    os.mkfifo(fifo)
    assert session_keys.split(_targets(lab, fifo)) == _targets(lab, fifo)
