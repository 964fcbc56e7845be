"""The audit's result model: one record per checked item, rolled up per control and host.

Every report (JSON, JUnit, HTML, the terminal summary) is rendered from these records,
so the three reports can never disagree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Literal


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"  # the check could not run (host unreachable, command missing...)
    WAIVED = "waived"
    NOT_APPLICABLE = "not_applicable"


# When items of one control disagree on a host, the control takes the worst status.
SEVERITY_ORDER = [Status.ERROR, Status.FAIL, Status.WAIVED, Status.PASS, Status.NOT_APPLICABLE]
FAILING = frozenset({Status.FAIL, Status.ERROR})


@dataclass(frozen=True)
class ControlInfo:
    """What a report needs to know about a catalog control."""

    id: str
    title: str
    severity: str = "medium"
    level: int = 1
    cis: tuple[str, ...] = ()
    tcvn: str = ""
    needs_kernel: bool = False
    area: str = ""
    status: str = "implemented"  # catalog status: implemented / opt-in / exception
    reason: str = ""  # why, for opt-in or exception


@dataclass(frozen=True)
class HostInfo:
    name: str
    system: str = ""
    system_name: str = ""
    level: int = 0
    zone: str = ""
    os: str = ""
    kind: Literal["host", "wan", "tenant"] = "host"  # what the audit judged (pdc.applicability's target kinds)


@dataclass
class ItemResult:
    """One parametrized check item on one host."""

    control: str
    host: str
    item: str
    status: Status
    evidence: list[str] = field(default_factory=list)
    reason: str = ""  # not applicable / waived / error: why
    duration: float = 0.0
    nodeid: str = ""

    def to_json(self) -> dict:
        out = asdict(self)
        out["status"] = str(self.status)
        return out

    @classmethod
    def from_json(cls, data: dict) -> ItemResult:
        return cls(**{**data, "status": Status(data["status"])})


@dataclass
class ControlOnHost:
    """A control's rolled-up status on one host, with the items behind it."""

    control: str
    host: str
    items: list[ItemResult]

    @property
    def status(self) -> Status:
        return worst(i.status for i in self.items)

    @property
    def reason(self) -> str:
        reasons = [i.reason for i in self.items if i.status == self.status and i.reason]
        return reasons[0] if reasons else ""


def worst(statuses) -> Status:
    present = set(statuses)
    for status in SEVERITY_ORDER:
        if status in present:
            return status
    return Status.NOT_APPLICABLE


@dataclass
class AuditResults:
    """Everything one audit run produced."""

    environment: str
    items: list[ItemResult]
    controls: dict[str, ControlInfo]
    hosts: dict[str, HostInfo]
    started: str = ""
    duration: float = 0.0

    def on_host(self, host: str) -> list[ControlOnHost]:
        grouped: dict[str, list[ItemResult]] = {}
        for item in self.items:
            if item.host == host:
                grouped.setdefault(item.control, []).append(item)
        order = list(self.controls)
        return [ControlOnHost(c, host, grouped[c])
                for c in sorted(grouped, key=lambda c: (order.index(c) if c in order else len(order), c))]

    def host_counts(self, host: str) -> dict[str, int]:
        counts = {str(s): 0 for s in Status}
        for control in self.on_host(host):
            counts[str(control.status)] += 1
        return counts

    def host_score(self, host: str) -> float | None:
        """Share of applicable, unwaived controls that pass (None when nothing applies)."""
        counts = self.host_counts(host)
        judged = counts["pass"] + counts["fail"] + counts["error"]
        return None if judged == 0 else round(100.0 * counts["pass"] / judged, 1)

    def failures(self) -> list[ControlOnHost]:
        """Required controls that fail: the audit's exit code is non-zero when there are any."""
        return [c for host in self.hosts for c in self.on_host(host) if c.status in FAILING]

    @property
    def passed(self) -> bool:
        return not self.failures()

    def merge(self, items: list[ItemResult], hosts: dict[str, HostInfo]) -> None:
        """Add another engine's results (switches, tenants) to the hosts' ones: one report."""
        self.items.extend(items)
        self.hosts.update(hosts)

    def to_json(self) -> dict:
        return {
            "environment": self.environment,
            "started": self.started,
            "duration": round(self.duration, 2),
            "passed": self.passed,
            "hosts": [
                {**asdict(h), "score": self.host_score(h.name), "controls": self.host_counts(h.name)}
                for h in self.hosts.values()
            ],
            "controls": [
                {**asdict(c), "cis": list(c.cis)} for c in self.controls.values()
            ],
            "results": [
                {"control": c.control, "host": c.host, "status": str(c.status), "reason": c.reason,
                 "items": [i.to_json() for i in c.items]}
                for host in self.hosts for c in self.on_host(host)
            ],
        }

    @classmethod
    def from_json(cls, data: dict) -> AuditResults:
        controls = {c["id"]: ControlInfo(**{**c, "cis": tuple(c["cis"])}) for c in data["controls"]}
        hosts = {h["name"]: HostInfo(**{k: v for k, v in h.items() if k not in ("score", "controls")})
                 for h in data["hosts"]}
        items = [ItemResult.from_json(i) for r in data["results"] for i in r["items"]]
        return cls(data["environment"], items, controls, hosts, data.get("started", ""),
                   data.get("duration", 0.0))
