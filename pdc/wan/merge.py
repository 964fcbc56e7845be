"""`pdc wan report merge`: the JSON reports of N shard runs (or of disjoint runs) joined into one.

A report file is untrusted input (a CI artifact): it is size-limited, parsed, checked against its
own digest (pdc.wan.report.digest: an edit after writing is refused), its fields are type-checked,
and its summary and failed list must agree with its devices. Then, across the files:
- one environment and one action (a dry run never merges with an applied run);
- the shards of one selection (the same --limit, the same N, the same selection fingerprint) are all
  present, each once, and their devices add up to that selection exactly;
- a report without a shard covers its whole selection;
- no device appears twice.
Any failure is a MergeError naming the file; nothing is written.

The merged report has the same keys as a single run's (summary, failed, devices), with devices in
site-id order, and `merged_from` naming each input; `comparable()` is what a single run and the
merge of its shards share.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from pdc import yamlsource
from pdc.schema import SITE_ID
from pdc.wan import report, shard

MAX_BYTES = 64 * 1024 * 1024
MAX_DEVICES = 100_000
ACTIONS = ("push", "push-dry-run", "diff", "verify", "drift")
STATUSES = tuple(sorted(set(report.COLOURS)))

Text = Annotated[str, StringConstraints(max_length=100_000)]
SiteName = Annotated[str, StringConstraints(pattern=SITE_ID)]


class MergeError(ValueError):
    pass


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class Device(_Model):
    model_config = ConfigDict(extra="forbid", strict=True)
    site: SiteName
    status: Literal[STATUSES]  # type: ignore[valid-type]
    reason: Text = ""
    lines: int = Field(0, ge=0)
    seconds: float | int = Field(0.0, ge=0)
    backup: Text | None = None
    details: dict = Field(default_factory=dict)


class Selection(_Model):
    model_config = ConfigDict(extra="forbid", strict=True)
    limit: Annotated[str, StringConstraints(max_length=10_000)] | None = None
    shard: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,4}/[0-9]{1,4}$")] | None = None
    count: int = Field(ge=0, le=MAX_DEVICES)
    digest: Annotated[str, StringConstraints(pattern=r"^sha256:[0-9a-f]{64}$")]


class ReportFile(_Model):
    environment: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,200}$")]
    action: Literal[ACTIONS]  # type: ignore[valid-type]
    selection: Selection
    summary: dict[str, int]
    failed: list[SiteName]
    devices: list[Device] = Field(max_length=MAX_DEVICES)
    digest: str
    apply: bool | None = None


def load(path: Path) -> ReportFile:
    """One report file, checked on its own."""
    try:  # a regular file only, bounded: a FIFO, a /dev/zero link or a huge file is an error, never a hang
        data = yamlsource.read_bounded(Path(path), str(path), Path(path).resolve().parent, MAX_BYTES)
        raw = json.loads(data.decode("utf-8"))
    except yamlsource.SourceError as exc:
        raise MergeError(f"{path}: {exc.message}") from None
    except (ValueError, RecursionError) as exc:  # ValueError: bad JSON, UTF-8 or a huge number
        raise MergeError(f"{path}: not a readable JSON report ({type(exc).__name__}: {str(exc)[:200]})") from None
    if not isinstance(raw, dict):
        raise MergeError(f"{path}: not a JSON object")
    if "digest" not in raw:
        raise MergeError(f"{path}: no digest (written by an older pdc, or not a pdc wan report)")
    if raw["digest"] != report.digest(raw):
        raise MergeError(f"{path}: its digest does not match its content: the file was changed after pdc wrote it")
    try:
        data = ReportFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise MergeError(f"{path}: field {where}: {first['msg']} ({len(exc.errors())} problem(s))") from None
    sites = [d.site for d in data.devices]
    twice = [s for s, n in Counter(sites).items() if n > 1]
    if twice:
        raise MergeError(f"{path}: device {twice[0]} appears more than once")
    if data.summary != dict(Counter(d.status for d in data.devices)):
        raise MergeError(f"{path}: its summary does not match its devices")
    if data.failed != sorted(d.site for d in data.devices if d.status in report.FAILED):
        raise MergeError(f"{path}: its failed list does not match its devices")
    if data.selection.shard is None:
        if data.selection.count != len(sites) or data.selection.digest != shard.digest(sites):
            raise MergeError(f"{path}: its devices are not the selection it records "
                             f"({len(sites)} device(s), selection of {data.selection.count})")
    else:
        try:
            shard.parse(data.selection.shard)
        except shard.ShardError as exc:
            raise MergeError(f"{path}: {exc}") from None
    return data


def merge(paths: list[Path]) -> dict:
    """The merged report (a dict ready for JSON), or a MergeError; nothing is written here."""
    if not paths:
        raise MergeError("no report to merge")
    loaded = [(p, load(p)) for p in paths]
    first_path, first = loaded[0]
    for path, data in loaded[1:]:
        for key in ("environment", "action", "apply"):
            if getattr(data, key) != getattr(first, key):
                raise MergeError(f"{path}: {key} {getattr(data, key)!r} differs from {first_path}'s "
                                 f"{getattr(first, key)!r}")
    groups: dict[tuple, list[tuple[Path, ReportFile, shard.Shard]]] = {}
    for path, data in loaded:
        if data.selection.shard is not None:
            cut = shard.parse(data.selection.shard)
            key = (data.selection.limit, data.selection.digest, data.selection.count, cut.count)
            groups.setdefault(key, []).append((path, data, cut))
    for members in groups.values():
        seen: dict[int, Path] = {}
        for path, _, cut in members:
            if cut.index in seen:
                raise MergeError(f"{path}: shard {cut} overlaps {seen[cut.index]} (the same shard twice)")
            seen[cut.index] = path
    owner: dict[str, Path] = {}
    for path, data in loaded:
        for device in data.devices:
            if device.site in owner:
                raise MergeError(f"{path}: device {device.site} is also in {owner[device.site]} (overlapping runs)")
            owner[device.site] = path
    for (limit, fingerprint, count, total), members in groups.items():
        seen = {cut.index: path for path, _, cut in members}
        missing = [f"{i}/{total}" for i in range(1, total + 1) if i not in seen]
        if missing:
            raise MergeError(f"shard(s) {', '.join(missing)} of the selection --limit {limit or '(all)'} missing: "
                             "a merge of some shards only would not be the whole run")
        union = [d.site for _, data, _ in members for d in data.devices]
        if len(union) != count or shard.digest(union) != fingerprint:
            files = ", ".join(str(p) for p, _, _ in members)
            raise MergeError(f"the {total} shard(s) of --limit {limit or '(all)'} hold {len(union)} device(s), "
                             f"not the {count} of the selection they record ({files})")
    devices = sorted((d for _, data in loaded for d in data.devices), key=lambda d: d.site)
    merged = {
        "environment": first.environment, "action": first.action,
        **({"apply": first.apply} if first.apply is not None else {}),
        "merged_from": [{"file": str(p), "selection": data.selection.model_dump(),
                         "stopped": (data.model_extra or {}).get("stopped")} for p, data in loaded],
        "summary": dict(sorted(Counter(d.status for d in devices).items())),
        "failed": sorted(d.site for d in devices if d.status in report.FAILED),
        "devices": [d.model_dump() for d in devices],
    }
    merged["digest"] = report.digest(merged)
    return merged


def comparable(data: dict) -> dict:
    """What a single run's report and the merge of its shards' reports must share."""
    return {"environment": data["environment"], "action": data["action"], "summary": data["summary"],
            "failed": data["failed"],
            "devices": {d["site"]: (d["status"], d["lines"], d["reason"]) for d in data["devices"]}}
