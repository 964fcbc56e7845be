"""The controls catalog (controls/catalog.yml): loaded, validated and queried.

One file lists every security control and the normative values it enforces (thresholds,
ciphers, sysctls, password policy), each with its reason. Which controls apply to a target is
decided by pdc.applicability; the roles (through the inventory), the compliance audit and
``pdc controls doc`` all read this one catalog.

API (what other engines import)::

    from pdc.controls import load_catalog
    catalog = load_catalog()                 # Catalog; raises InvalidCatalog (file:line: field: message)
    catalog.controls                         # list[Control], in file order
    catalog.by_id["PDC-SSH-003"]             # Control
    catalog.for_level(3)                     # implemented controls a level-3 target must enforce
    catalog.value("PDC-SSH-006", "max_auth_tries")   # a normative value (KeyError names the control)
    catalog.values()                         # {control id: {name: value}} for the roles

Control fields: id, title, severity, min_level, cis, tcvn_group, role, tag, target, platforms,
kernel, status (implemented | opt-in | not-applicable | exception), reason, compensating (exceptions),
check, values.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationError,
    model_validator,
)

from pdc import paths
from pdc.schema import Text
from pdc.schema_errors import schema_errors
from pdc.yamlsource import SourceError, load

CATALOG = paths.ROOT / "controls" / "catalog.yml"
# Every recommendation of CIS Debian Linux 12 v1.1.0 (id, profile L1/L2, title): what the catalog
# must account for (cis_coverage)
BENCHMARK = paths.ROOT / "controls" / "cis-debian12-v1.1.0.tsv"
# A CIS recommendation's state in the catalog: the one status its citing controls share
ACCOUNTED = ("implemented", "not-applicable", "exception")

ControlId = Annotated[str, StringConstraints(pattern=r"^PDC-[A-Z]{2,4}-[0-9]{3}$")]
CisId = Annotated[str, StringConstraints(pattern=r"^[0-9]+(\.[0-9]+)+$")]
RoleName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
ValueName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
# sysctl keys, pwquality options, sshd algorithm names: dotted, dashed, @-qualified words
ValueKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$")]
Scalar = StrictInt | Annotated[StrictStr, StringConstraints(pattern=r"^[A-Za-z0-9_.,:@/+ -]{0,200}$")]
Severity = Literal["low", "medium", "high", "critical"]
TcvnGroup = Literal["network", "server", "application", "data"]
# implemented: a role enforces it; opt-in: only where waivers.yml opts in; not-applicable: the
# design rules it out (the check proves the design holds); exception: not done, with the reason and
# the compensating control
Status = Literal["implemented", "opt-in", "not-applicable", "exception"]
# What a control is enforced on: a server, a WAN device, an OpenStack tenant.
TargetKind = Literal["host", "wan", "tenant"]
Platform = Literal["debian12", "debian13", "cisco_ios", "huawei_vrp", "openstack"]
SEVERITY_ORDER = ("low", "medium", "high", "critical")


class InvalidCatalog(Exception):
    """Every problem of the catalog, each naming file, line and field."""

    def __init__(self, errors: list[SourceError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class NormativeValue(BaseModel):
    """One value a control enforces, and why this value (the assessor reads the reason)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: Scalar | list[Scalar] | dict[ValueKey, Scalar]
    reason: Text(300, min_length=10)


class Control(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: ControlId
    title: str = Field(min_length=5)
    severity: Severity
    min_level: int = Field(ge=1, le=5, description="lowest security level that requires it")
    cis: list[CisId] = Field(default_factory=list)
    tcvn_group: TcvnGroup
    role: RoleName
    tag: RoleName
    target: TargetKind = "host"
    platforms: list[Platform] = Field(default_factory=list, description="empty: every platform of its target")
    kernel: bool
    status: Status
    reason: str | None = None
    compensating: str | None = Field(default=None, description="exception: what stands in for it")
    check: str = Field(min_length=5)
    values: dict[ValueName, NormativeValue] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _reason_when_not_implemented(self) -> Control:
        if self.status != "implemented" and not (self.reason or "").strip():
            raise ValueError(f"status {self.status!r} needs a written reason")
        if self.status == "exception" and not (self.compensating or "").strip():
            raise ValueError("status 'exception' needs its compensating control")
        return self


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Roles every host gets (playbooks/harden.yml); any other role of a host control is a
    # service role and applies only to hosts whose VM group lists it.
    every_host_roles: list[RoleName] = Field(min_length=1)
    controls: list[Control] = Field(min_length=1)

    @cached_property
    def by_id(self) -> dict[str, Control]:
        return {c.id: c for c in self.controls}

    def for_level(self, level: int) -> list[Control]:
        """Implemented controls a target of this security level must enforce."""
        return [c for c in self.controls if c.status == "implemented" and c.min_level <= level]

    def by_role(self, role: str) -> list[Control]:
        return [c for c in self.controls if c.role == role]

    def value(self, control: str, name: str) -> Any:
        """The normative value ``name`` of a control; KeyError names what is missing."""
        found = self.by_id[control].values.get(name)
        if found is None:
            raise KeyError(f"controls/catalog.yml: {control} has no value {name!r}")
        return found.value

    def values(self) -> dict[str, dict[str, Any]]:
        """Every control's normative values, {id: {name: value}}: what the roles read."""
        return {c.id: {k: v.value for k, v in c.values.items()} for c in self.controls if c.values}

    @property
    def roles(self) -> list[str]:
        return list(dict.fromkeys(c.role for c in self.controls))

    @property
    def tags(self) -> list[str]:
        return list(dict.fromkeys(c.tag for c in self.controls))


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load and validate the catalog; raise InvalidCatalog listing every error."""
    file = Path(path) if path else CATALOG
    try:
        display = str(file.resolve().relative_to(paths.ROOT))
    except ValueError:
        display = str(file)
    try:
        doc = load(file, display)
    except SourceError as exc:
        raise InvalidCatalog([exc]) from None
    try:
        catalog = Catalog.model_validate(doc.data)
    except ValidationError as exc:
        raise InvalidCatalog(schema_errors(display, doc, exc)) from None
    errors = []
    seen: dict[str, int] = {}
    for i, control in enumerate(catalog.controls):
        if control.id in seen:
            errors.append(SourceError(display, doc.line_of(("controls", i, "id")), f"controls[{i}].id",
                                      f"duplicate id {control.id} (first at controls[{seen[control.id]}])"))
        seen.setdefault(control.id, i)
    if errors:
        raise InvalidCatalog(errors)
    return catalog


@dataclass(frozen=True)
class Recommendation:
    id: str
    profile: str  # L1 | L2 (Server)
    title: str

    @property
    def section(self) -> str:
        """The benchmark section it belongs to: the first two parts of its id (``5.4``)."""
        return ".".join(self.id.split(".")[:2])


def benchmark(path: str | Path | None = None) -> list[Recommendation]:
    """The benchmark's recommendations, in file order (controls/cis-debian12-v1.1.0.tsv)."""
    lines = Path(path or BENCHMARK).read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines if line[:1].isdigit()]
    return [Recommendation(r[0], r[1], r[2]) for r in rows]


def cis_coverage(catalog: Catalog, recommendations: list[Recommendation] | None = None) -> dict[str, str]:
    """Each recommendation's state in the catalog, {id: state}.

    The state is the status its citing controls share (implemented, not-applicable, exception),
    ``unaccounted`` when no control cites it (or only opt-in ones), and ``mixed: ...`` when its
    controls disagree: one recommendation, one state.
    """
    statuses: dict[str, set[str]] = {}
    for c in catalog.controls:
        for rid in c.cis:
            statuses.setdefault(rid, set()).add(c.status)
    out = {}
    for rec in recommendations if recommendations is not None else benchmark():
        found = statuses.get(rec.id, set()) - {"opt-in"}
        if not found:
            out[rec.id] = "unaccounted"
        elif len(found) == 1:
            out[rec.id] = found.pop()
        else:
            out[rec.id] = "mixed: " + ", ".join(sorted(found))
    return out
