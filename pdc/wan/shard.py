"""`--shard K/N`: a deterministic split of a command's devices over N runners (CI `parallel: N`).

The unit of the split is a *branch*: a top-level site's subtree below the root (a district with its
communes), so a district and its communes always land on the same runner and the leaves-first order
(pdc.wan.rollout) holds for them within that runner. A root site (the data centre) is a branch of its
own. Branches are dealt out largest first to the least loaded shard (ties: the lower shard number,
then the branch's id), so the split depends only on the selected sites, never on the machine, the
clock or a hash seed. N larger than the number of branches leaves some shards empty: an empty shard
is a valid run of no device.

Shards run in parallel, so no order holds *across* them; docs/ci/gitlab-ci.yml pushes the districts
and communes in N shards, then the data centre alone after them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from pdc.schema import Site

MAX_SHARDS = 1024
_SPEC = re.compile(r"^([0-9]{1,4})/([0-9]{1,4})$")


class ShardError(ValueError):
    pass


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based, as GitLab's CI_NODE_INDEX
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse(text: str) -> Shard:
    """`K/N` with 1 <= K <= N <= MAX_SHARDS; anything else is a ShardError naming the rule."""
    match = _SPEC.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ShardError(f"--shard {text!r}: expected K/N, two whole numbers such as 2/4")
    index, count = int(match.group(1)), int(match.group(2))
    if not 1 <= count <= MAX_SHARDS:
        raise ShardError(f"--shard {text}: N must be between 1 and {MAX_SHARDS}")
    if not 1 <= index <= count:
        raise ShardError(f"--shard {text}: K must be between 1 and N ({count}); shards are numbered from 1")
    return Shard(index, count)


def branch_of(site: Site, by_id: dict[str, Site]) -> str:
    """The id of the site's top-level ancestor below the root (the site itself for a root or a district)."""
    seen = {site.id}
    current = site
    while current.parent and current.parent in by_id:
        parent = by_id[current.parent]
        if not parent.parent or parent.parent not in by_id:
            return current.id  # parent is a root: `current` heads the branch
        if parent.id in seen:  # a cycle cannot validate; never loop on one anyway
            break
        seen.add(parent.id)
        current = parent
    return current.id


def assign(sites: list[Site], all_sites: list[Site], count: int) -> dict[str, int]:
    """Each selected site's shard number (1..count)."""
    by_id = {s.id: s for s in all_sites}
    branches: dict[str, list[str]] = {}
    for site in sites:
        branches.setdefault(branch_of(site, by_id), []).append(site.id)
    load = [0] * count
    shard_of: dict[str, int] = {}
    for _head, members in sorted(branches.items(), key=lambda item: (-len(item[1]), item[0])):
        target = min(range(count), key=lambda i: (load[i], i))
        load[target] += len(members)
        for site_id in members:
            shard_of[site_id] = target + 1
    return shard_of


def select(sites: list[Site], all_sites: list[Site], shard: Shard | None) -> list[Site]:
    """The selected sites of this shard, in their original order (all of them without a shard)."""
    if shard is None:
        return list(sites)
    shard_of = assign(sites, all_sites, shard.count)
    return [s for s in sites if shard_of[s.id] == shard.index]


def digest(site_ids) -> str:
    """A fingerprint of a set of site ids: the shards of one selection must add up to it (report merge)."""
    return "sha256:" + hashlib.sha256("\n".join(sorted(site_ids)).encode()).hexdigest()
