"""Waivers: a control accepted as failing on some hosts, with a written reason and an expiry.

File: ``inventories/<env>/waivers.yml``::

    waivers:
      - control: PDC-SSH-003
        hosts: "tthc-*"          # fnmatch pattern on host names (default: every host)
        reason: "vendor appliance needs X until its upgrade (ticket 123)"
        expires: 2026-12-31

A waiver turns a failing control into "waived" until its expiry date (inclusive).
An expired waiver waives nothing and is named in the failure, so a stale exception
can never silently hide a finding.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from pdc.yamlsource import SourceError, dotted, load

FILENAME = "waivers.yml"


class WaiverSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    control: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9-]+$")]
    hosts: str = Field("*", min_length=1, description="fnmatch pattern on host names")
    reason: str = Field(min_length=10, description="why the risk is accepted, and who accepted it")
    expires: dt.date


class WaiversFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    waivers: list[WaiverSpec] = Field(default_factory=list)


@dataclass(frozen=True)
class Waiver:
    control: str
    hosts: str
    reason: str
    expires: dt.date
    source: str  # file:line, so a report points at the waiver

    def matches(self, control: str, host: str) -> bool:
        return self.control == control and fnmatchcase(host, self.hosts)

    def expired(self, today: dt.date) -> bool:
        return today > self.expires


@dataclass(frozen=True)
class Decision:
    waived: bool
    note: str


class Waivers:
    def __init__(self, waivers: list[Waiver], today: dt.date | None = None):
        self.waivers = waivers
        self.today = today or dt.date.today()

    def decide(self, control: str, host: str) -> Decision | None:
        """For a failing control on a host: waived (with note), or still failing with a note."""
        matching = [w for w in self.waivers if w.matches(control, host)]
        if not matching:
            return None
        live = [w for w in matching if not w.expired(self.today)]
        if live:
            w = max(live, key=lambda w: w.expires)
            return Decision(True, f"waived until {w.expires}: {w.reason} ({w.source})")
        w = max(matching, key=lambda w: w.expires)
        return Decision(False, f"waiver expired on {w.expires}: {w.reason} ({w.source})")


def load_waivers(path: Path, known_controls: set[str] | None = None,
                 today: dt.date | None = None) -> Waivers:
    """Load a waivers file (a missing file means no waivers); raise a list of SourceErrors."""
    if not path.exists():
        return Waivers([], today)
    doc = load(path)
    try:
        parsed = WaiversFile.model_validate(doc.data or {})
    except ValidationError as exc:
        raise WaiverErrors([
            SourceError(str(path), doc.line_of(tuple(e["loc"])), dotted(tuple(e["loc"])),
                        "required field is missing" if e["type"] == "missing" else e["msg"])
            for e in exc.errors(include_url=False)
        ]) from None
    errors = []
    waivers = []
    for i, spec in enumerate(parsed.waivers):
        line = doc.line_of(("waivers", i))
        if known_controls is not None and spec.control not in known_controls:
            errors.append(SourceError(str(path), doc.line_of(("waivers", i, "control")),
                                      f"waivers[{i}].control", f"unknown control {spec.control!r}"))
        waivers.append(Waiver(spec.control, spec.hosts, spec.reason, spec.expires, f"{path.name}:{line}"))
    if errors:
        raise WaiverErrors(errors)
    return Waivers(waivers, today)


class WaiverErrors(Exception):
    def __init__(self, errors: list[SourceError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
