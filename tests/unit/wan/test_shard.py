"""--shard K/N: validation, a deterministic partition, districts kept with their communes."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pdc.wan import shard


@pytest.mark.parametrize("text", ["0/4", "5/4", "1/0", "0/0", "-1/4", "1/-4", "a/4", "4", "1/4/2", "1 /4x", "",
                                  "1/1025", "1.5/4", "١/٤"])
def test_a_bad_shard_is_refused(text):
    with pytest.raises(shard.ShardError, match="--shard"):
        shard.parse(text)


def test_a_good_shard():
    assert shard.parse("2/4") == shard.Shard(2, 4) and str(shard.parse(" 1/1 ")) == "1/1"


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7, 13, 300])
def test_the_shards_of_haiduong_cover_every_site_exactly_once(haiduong, count):
    seen = []
    for k in range(1, count + 1):
        seen += [s.id for s in shard.select(haiduong.sites, haiduong.sites, shard.Shard(k, count))]
    assert sorted(seen) == sorted(s.id for s in haiduong.sites)
    assert len(seen) == len(set(seen))


def test_a_district_and_its_communes_share_a_shard_and_the_split_is_balanced(haiduong):
    assigned = shard.assign(haiduong.sites, haiduong.sites, 4)
    for site in haiduong.sites:
        if site.tier == "commune":
            assert assigned[site.id] == assigned[site.parent], site.id
    sizes = [list(assigned.values()).count(k) for k in range(1, 5)]
    assert max(sizes) - min(sizes) <= 25 and sum(sizes) == 248  # 12 districts of ~20 sites, and the DC
    assert shard.assign(list(reversed(haiduong.sites)), haiduong.sites, 4) == assigned  # input order is irrelevant


def test_a_limit_is_split_after_it_is_applied(lab):
    communes = [s for s in lab.sites if s.tier == "commune"]
    parts = [shard.select(communes, lab.sites, shard.Shard(k, 2)) for k in (1, 2)]
    assert sorted(s.id for p in parts for s in p) == sorted(s.id for s in communes)
    assert {s.parent for s in parts[0]} != {s.parent for s in parts[1]}


def test_more_shards_than_branches_leaves_empty_shards(lab):
    sizes = [len(shard.select(lab.sites, lab.sites, shard.Shard(k, 4))) for k in range(1, 5)]
    assert sizes == [6, 5, 1, 0]


def test_the_cli_refuses_a_bad_shard_before_anything_else(monkeypatch):
    from pdc.cli.wan import wan

    monkeypatch.delenv("PDC_WAN_PASSWORD", raising=False)  # no credential is even looked at
    for command in (["render"], ["diff"], ["verify"], ["backup"], ["push", "--apply", "--yes"], ["drift"],
                    ["trust", "--yes"]):
        result = CliRunner().invoke(wan, [command[0], "lab", "--shard", "5/4", *command[1:]])
        assert result.exit_code == 1, (command, result.output)
        assert "--shard 5/4: K must be between 1 and N (4)" in result.output, command
