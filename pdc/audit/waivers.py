"""The environment's decisions on controls: opt-ins, and waivers with a written reason and an expiry.

File: ``inventories/<env>/waivers.yml``, the one input the roles (through the inventory's
pdc_active_controls) and the audit both read (pdc.applicability)::

    opt_in:
      - control: PDC-PKG-003
        system: tthc             # every host of this system, or
        hosts: "tthc-app-*"      # an fnmatch pattern on host names (default: every host)
        reason: "no compiler on application servers (native modules are built in CI)"
    waivers:
      - control: PDC-SSH-003
        hosts: "tthc-*"
        reason: "vendor appliance needs X until its upgrade (ticket 123)"
        approver: "Nguyễn Văn A, CISO"
        expires: 2026-12-31

An opt-in turns on a catalog control of status opt-in where it matches. A live waiver means
the roles leave the control alone there, and the audit reports it "waived" instead of failing
until its expiry date (inclusive).
An expired waiver waives nothing and is named in the failure, so a stale exception
can never silently hide a finding. Every waiver names who approved it, and the
environment sets how far ahead a waiver may run (``waivers: {max_days: 365}`` in
environment.yml): `pdc validate` refuses one that expires later than that.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from pydantic import Strict as StrictMode

from pdc.schema import DnsLabel, Name, Text
from pdc.schema_errors import schema_errors
from pdc.yamlsource import SourceError, load

FILENAME = "waivers.yml"
CONTROL_ID = r"^[A-Z]{2,5}-[A-Z]{2,5}-[0-9]{3}$"
Reason = Text(500, min_length=10)
HOST_GLOB = r"^[a-z0-9*?\[\]!_-][a-z0-9*?\[\]!._-]{0,79}$"


class WaiverSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    control: Annotated[str, StringConstraints(pattern=CONTROL_ID, max_length=17)]
    hosts: Annotated[str, StringConstraints(pattern=HOST_GLOB, max_length=80)] = Field(
        "*", description="fnmatch pattern on host names")
    reason: Reason = Field(description="why the risk is accepted")
    approver: Name = Field(description="who accepted the risk (name and role)")
    # a real YAML date: a quoted string or a number is not an expiry
    expires: Annotated[dt.date, StrictMode()]


class OptInSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    control: Annotated[str, StringConstraints(pattern=CONTROL_ID, max_length=17)]
    system: DnsLabel | None = Field(
        None, description="a system id: every host of that system")
    hosts: Annotated[str, StringConstraints(pattern=HOST_GLOB, max_length=80)] = Field(
        "*", description="fnmatch pattern on host names")
    reason: Reason = Field(description="why this opt-in control is wanted here")


class WaiversFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    opt_in: list[OptInSpec] = Field(default_factory=list, max_length=10_000)
    waivers: list[WaiverSpec] = Field(default_factory=list, max_length=10_000)


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
class OptIn:
    control: str
    system: str | None
    hosts: str
    source: str

    def matches(self, control: str, name: str, system: str | None) -> bool:
        return (self.control == control and fnmatchcase(name, self.hosts)
                and (self.system is None or self.system == system))


@dataclass(frozen=True)
class Decision:
    waived: bool
    note: str


class Waivers:
    def __init__(self, waivers: list[Waiver], today: dt.date | None = None, opt_ins: list[OptIn] | None = None):
        self.waivers = waivers
        self.opt_ins = opt_ins or []
        self.today = today or dt.date.today()

    def opted_in(self, control: str, name: str, system: str | None) -> bool:
        return any(o.matches(control, name, system) for o in self.opt_ins)

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


def load_waivers(path: Path, known_controls: set[str] | None = None, today: dt.date | None = None,
                 max_days: int | None = None, display: str | None = None,
                 opt_in_controls: set[str] | None = None, systems: set[str] | None = None) -> Waivers:
    """Load a waivers file (a missing file means no waivers); raise WaiverErrors with every problem.

    ``opt_in_controls``, when given, are the catalog's opt-in controls: an opt-in naming any
    other control is an error (it would change nothing, and its author believes otherwise).

    ``systems``, when given, are the environment's system ids: an opt-in for another system is an error.

    ``max_days`` is the environment's longest allowed lifetime: a waiver expiring later than
    today + max_days is an error (the environment's validation passes it; None skips the check).
    """
    name = display or str(path)
    if not os.path.lexists(path):
        return Waivers([], today)
    try:
        doc = load(path, name)
        parsed = WaiversFile.model_validate(doc.data or {})
    except SourceError as exc:
        raise WaiverErrors([exc]) from None
    except ValidationError as exc:
        raise WaiverErrors(schema_errors(name, doc, exc)) from None
    errors = []
    waivers = []
    latest = (today or dt.date.today()) + dt.timedelta(days=max_days) if max_days is not None else None
    for i, spec in enumerate(parsed.waivers):
        line = doc.line_of(("waivers", i))
        if known_controls is not None and spec.control not in known_controls:
            errors.append(SourceError(name, doc.line_of(("waivers", i, "control")),
                                      f"waivers[{i}].control", f"unknown control {spec.control!r}"))
        if latest is not None and spec.expires > latest:
            errors.append(SourceError(name, doc.line_of(("waivers", i, "expires")), f"waivers[{i}].expires",
                                      f"{spec.expires} is more than {max_days} days ahead (latest {latest}; "
                                      "environment.yml waivers.max_days)"))
        waivers.append(Waiver(spec.control, spec.hosts, spec.reason, spec.expires, f"{path.name}:{line}"))
    opt_ins = []
    for i, spec in enumerate(parsed.opt_in):
        if known_controls is not None and spec.control not in known_controls:
            errors.append(SourceError(name, doc.line_of(("opt_in", i, "control")),
                                      f"opt_in[{i}].control", f"unknown control {spec.control!r}"))
        elif opt_in_controls is not None and spec.control not in opt_in_controls:
            errors.append(SourceError(name, doc.line_of(("opt_in", i, "control")), f"opt_in[{i}].control",
                                      f"{spec.control} is not an opt-in control of the catalog "
                                      f"(opt-in: {', '.join(sorted(opt_in_controls)) or 'none'})"))
        if systems is not None and spec.system is not None and spec.system not in systems:
            errors.append(SourceError(name, doc.line_of(("opt_in", i, "system")), f"opt_in[{i}].system",
                                      f"no system {spec.system!r} in this environment (systems.yml)"))
        opt_ins.append(OptIn(spec.control, spec.system, spec.hosts, f"{path.name}:{doc.line_of(('opt_in', i))}"))
    if errors:
        raise WaiverErrors(errors)
    return Waivers(waivers, today, opt_ins)


class WaiverErrors(Exception):
    def __init__(self, errors: list[SourceError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
