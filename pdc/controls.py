"""The controls catalog (controls/catalog.yml): loaded, validated and queried.

One file lists every security control. The hardening roles read it (through the
``pdc`` Ansible role, which turns it into the host's list of active controls), the
compliance audit reads it, and ``pdc controls doc`` renders docs/controls.md from it.

API (what other engines import)::

    from pdc.controls import load_catalog
    catalog = load_catalog()                 # Catalog; raises InvalidCatalog (file:line: field: message)
    catalog.controls                         # list[Control], in file order
    catalog.by_id["PDC-SSH-003"]             # Control
    catalog.for_level(3)                     # controls a level-3 host must enforce (status implemented)
    catalog.applicable(level=3, container=True, opt_in={"PDC-PKG-003"})
                                             # what the roles apply to such a host (kernel ones dropped
                                             # in containers, opt-in ones only when asked)
    catalog.by_role("ssh"), catalog.by_tag("sysctl")

Control fields: id, title, severity, min_level, cis (list of CIS Debian 12 v1.1.0 ids),
tcvn_group, role, tag, kernel, status (implemented | opt-in | exception), reason, check.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from pdc import paths
from pdc.yamlsource import SourceError, dotted, load

CATALOG = paths.ROOT / "controls" / "catalog.yml"

ControlId = Annotated[str, StringConstraints(pattern=r"^PDC-[A-Z]{2,4}-[0-9]{3}$")]
CisId = Annotated[str, StringConstraints(pattern=r"^[0-9]+(\.[0-9]+)+$")]
Severity = Literal["low", "medium", "high", "critical"]
TcvnGroup = Literal["network", "server", "application", "data"]
Status = Literal["implemented", "opt-in", "exception"]
SEVERITY_ORDER = ("low", "medium", "high", "critical")


class InvalidCatalog(Exception):
    """Every problem of the catalog, each naming file, line and field."""

    def __init__(self, errors: list[SourceError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class Control(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: ControlId
    title: str = Field(min_length=5)
    severity: Severity
    min_level: int = Field(ge=1, le=5, description="lowest security level that requires it")
    cis: list[CisId] = Field(default_factory=list)
    tcvn_group: TcvnGroup
    role: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
    tag: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
    kernel: bool
    status: Status
    reason: str | None = None
    check: str = Field(min_length=5)

    @model_validator(mode="after")
    def _reason_when_not_implemented(self) -> Control:
        if self.status != "implemented" and not (self.reason or "").strip():
            raise ValueError(f"status {self.status!r} needs a written reason")
        return self

    def applies(self, level: int, container: bool = False, opt_in: frozenset[str] | set[str] = frozenset()
                ) -> bool:
        """Whether the roles enforce this control on a host of this level and kind."""
        if self.status == "exception" or level < self.min_level:
            return False
        if self.kernel and container:
            return False
        return self.status == "implemented" or self.id in opt_in


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    controls: list[Control] = Field(min_length=1)

    @cached_property
    def by_id(self) -> dict[str, Control]:
        return {c.id: c for c in self.controls}

    def for_level(self, level: int) -> list[Control]:
        """Implemented controls a host of this security level must enforce."""
        return [c for c in self.controls if c.status == "implemented" and c.min_level <= level]

    def applicable(self, level: int, container: bool = False,
                   opt_in: frozenset[str] | set[str] = frozenset()) -> list[Control]:
        return [c for c in self.controls if c.applies(level, container, opt_in)]

    def by_role(self, role: str) -> list[Control]:
        return [c for c in self.controls if c.role == role]

    def by_tag(self, tag: str) -> list[Control]:
        return [c for c in self.controls if c.tag == tag]

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
    doc = load(file, display)
    try:
        catalog = Catalog.model_validate(doc.data)
    except ValidationError as exc:
        errors = []
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            message = {"missing": "required field is missing", "extra_forbidden": "unknown field"}.get(
                err["type"], err["msg"])
            if err["type"] not in ("missing", "extra_forbidden") and not isinstance(err.get("input"),
                                                                                   dict | list):
                message = f"{message} (got {err.get('input')!r})"
            errors.append(SourceError(display, doc.line_of(loc), dotted(loc), message))
        raise InvalidCatalog(errors) from None
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
