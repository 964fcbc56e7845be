"""How tenant resources say which system, level, zone and VM group they belong to.

The stacks write these labels (Neutron tags, Nova/Cinder metadata, the tenant
component's type) and the policy pack reads them, so that a policy can judge a
resource by its system's security level without a copy of the environment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

TENANT_TYPE = "pdc:openstack:Tenant"  # the ComponentResource holding one system's tenant
PREFIX = "pdc-"


def labels(system: str, level: int, zone: str | None = None, group: str | None = None) -> dict[str, str]:
    out = {"system": system, "level": str(level)}
    if zone:
        out["zone"] = zone
    if group:
        out["group"] = group
    return out


def as_tags(values: Mapping[str, str]) -> list[str]:
    """Neutron/Keystone tags: ``pdc-zone=db``."""
    return [f"{PREFIX}{k}={v}" for k, v in values.items()]


def as_metadata(values: Mapping[str, str]) -> dict[str, str]:
    """Nova/Cinder metadata: ``{"pdc-zone": "db"}``."""
    return {f"{PREFIX}{k}": v for k, v in values.items()}


def read(props: Mapping) -> dict[str, str]:
    """The labels of a resource from its tags or metadata (either may be absent)."""
    out: dict[str, str] = {}
    tags: Iterable = props.get("tags") or []
    for tag in tags:
        if isinstance(tag, str) and tag.startswith(PREFIX) and "=" in tag:
            key, value = tag[len(PREFIX):].split("=", 1)
            out[key] = value
    for key, value in (props.get("metadata") or {}).items():
        if isinstance(key, str) and key.startswith(PREFIX):
            out[key[len(PREFIX):]] = str(value)
    return out
