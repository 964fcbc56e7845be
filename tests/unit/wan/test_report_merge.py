"""`pdc wan report merge`: shard reports joined into the single run's report; every bad input refused."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pdc.wan import merge, report, shard

SITES = ["dc", "nam-sach", "nam-sach-01", "nam-sach-02", "tp-hai-duong", "tp-hai-duong-01"]
STATUS = {"nam-sach-02": "failed-rolled-back"}


def _results(sites):
    return [report.Result(s, STATUS.get(s, "ok"), "refused" if s in STATUS else "", lines=7) for s in sites]


def _write(tmp_path, name, sites, cut=None, env="lab", action="push", apply=True, selection=SITES, limit=None):
    selected = {"limit": limit, "shard": cut, "count": len(selection), "digest": shard.digest(selection)}
    return report.write_json(_results(sites), action, env, tmp_path / name, {"apply": apply, "selection": selected})


def _shards(tmp_path, count=3, **kwargs):
    parts = [SITES[0:2], SITES[2:4], SITES[4:6]] if count == 3 else [SITES]
    return [_write(tmp_path, f"s{k}.json", part, f"{k}/{count}", **kwargs) for k, part in enumerate(parts, 1)]


def test_the_merge_of_the_shards_equals_the_single_run(tmp_path):
    single = json.loads(_write(tmp_path, "single.json", list(reversed(SITES))).read_text())
    merged = merge.merge(_shards(tmp_path))
    assert merge.comparable(merged) == merge.comparable(single)
    assert [d["site"] for d in merged["devices"]] == sorted(SITES)
    assert merged["summary"] == {"failed-rolled-back": 1, "ok": 5} and merged["failed"] == ["nam-sach-02"]
    assert merged["digest"] == report.digest(merged)
    assert len(merged["merged_from"]) == 3


def test_a_report_with_its_whole_selection_merges_with_other_disjoint_runs(tmp_path):
    first = _write(tmp_path, "a.json", SITES[:2], selection=SITES[:2], limit="dc,nam-sach")
    # and the rest as the one shard of its own selection (1/1): disjoint runs merge into their union
    second = [_write(tmp_path, "b.json", SITES[2:], "1/1", selection=SITES[2:], limit="rest")]
    assert len(merge.merge([first, *second])["devices"]) == 6


def _tamper(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(("setup", "message"), [
    (lambda t: [*_shards(t), _shards(t)[0]], "overlaps"),
    (lambda t: _shards(t)[:2], "shard(s) 3/3 of the selection --limit (all) missing"),
    (lambda t: [*_shards(t)[:2], _write(t, "x.json", SITES[4:6], "3/3", env="haiduong")],
     "environment 'haiduong' differs"),
    (lambda t: [*_shards(t)[:2], _write(t, "x.json", SITES[4:6], "3/3", apply=False)], "apply False differs"),
    (lambda t: [*_shards(t)[:2], _write(t, "x.json", SITES[4:6], "3/3", action="diff")], "action 'diff' differs"),
    (lambda t: [*_shards(t)[:2], _write(t, "x.json", SITES[3:6], "3/3")], "also in"),
    (lambda t: [*_shards(t)[:2], _write(t, "x.json", SITES[5:6], "3/3")], "hold 5 device(s), not the 6"),
    (lambda t: _tampered_first(t), "digest does not match its content"),
    (lambda t: [_tamper(_shards(t)[0], lambda d: d.pop("digest"))], "no digest"),
    (lambda t: [_write(t, "x.json", SITES[:2], selection=SITES)], "not the selection it records"),
    (lambda t: [t / "absent.json"], "no such file"),
    (lambda t: [_link(t, "/dev/zero")], "not a regular file"),
    (lambda t: [_fifo(t)], "not a regular file"),
    (lambda t: [_raw(t, "[1, 2]")], "not a JSON object"),
    (lambda t: [_raw(t, "{not json")], "not a readable JSON report"),
    (lambda t: [_sealed(t, lambda d: d["devices"][0].update(site="../../etc/passwd"))], "field devices.0.site"),
    (lambda t: [_sealed(t, lambda d: d["devices"][0].update(status="owned"))], "field devices.0.status"),
    (lambda t: [_sealed(t, lambda d: d["devices"][0].update(lines=-1))], "field devices.0.lines"),
    (lambda t: [_sealed(t, lambda d: d.update(summary={"ok": 99}))], "summary does not match"),
    (lambda t: [_sealed(t, lambda d: d.update(failed=[]))], "failed list does not match"),
    (lambda t: [_sealed(t, lambda d: d["devices"].append(d["devices"][0]))], "appears more than once"),
    (lambda t: [_sealed(t, lambda d: d["selection"].update(shard="5/4"))], "--shard 5/4"),
])
def test_a_bad_input_is_refused_naming_it_and_nothing_is_written(tmp_path, setup, message):
    paths = setup(tmp_path)
    with pytest.raises(merge.MergeError) as caught:
        merge.merge(paths)
    assert message in str(caught.value)

    from pdc.cli.wan import wan

    out = tmp_path / "merged.json"
    result = CliRunner().invoke(wan, ["report", "merge", *map(str, paths), "--out", str(out)])
    assert result.exit_code == 1 and "nothing written" in result.output and not out.exists()


def _tampered_first(tmp_path):
    paths = _shards(tmp_path)
    _tamper(paths[1], lambda d: d["devices"][1].update(status="ok", reason=""))  # a failure made to look ok
    return paths


def _link(tmp_path, target):
    path = tmp_path / "link.json"
    path.symlink_to(target)
    return path


def _fifo(tmp_path):
    import os

    path = tmp_path / "fifo.json"
    os.mkfifo(path)
    return path


def _raw(tmp_path, text):
    path = tmp_path / "raw.json"
    path.write_text(text)
    return path


def _sealed(tmp_path, change):
    """A hostile report whose digest was recomputed: the field checks must still catch it."""
    path = _write(tmp_path, "sealed.json", SITES, None)
    data = json.loads(path.read_text())
    change(data)
    data["digest"] = report.digest(data)
    path.write_text(json.dumps(data))
    return path


def test_the_cli_writes_the_merged_report(tmp_path):
    from pdc.cli.wan import wan

    out = tmp_path / "merged.json"
    result = CliRunner().invoke(wan, ["report", "merge", *map(str, _shards(tmp_path)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["summary"] == {"failed-rolled-back": 1, "ok": 5}


@pytest.mark.parametrize("text", ["[" * 100_000, '{"a": ' + "9" * 10_000 + "}", "\udcff"])
def test_a_hostile_file_is_an_error_not_a_crash(tmp_path, text):
    path = tmp_path / "hostile.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(merge.MergeError, match="hostile.json"):
        merge.merge([path])
