"""Which hosts and which WAN devices a command talks to: named per environment, never guessed.

Two files next to the environment's model say it:
- ``hosts.pdc.yml`` (the Ansible inventory plugin's config): ``source: lab | model | cloud`` for the
  hosts (``cloud``: each host's address from its live port, in the cloud ``cloud.pdc.yml`` names);
- ``wan.pdc.yml``: ``source: lab | model`` for the WAN devices (no file: ``model``);
- ``cloud.pdc.yml``: ``source: lab | clouds`` for the OpenStack cloud the tenants run in (no file:
  ``clouds``, openstacksdk's own clouds.yaml search and ``OS_CLOUD``), and optionally the
  ``cloud:`` name to use in it.

``model`` is production: the model's management addresses. ``lab`` is the embedded lab, read
from the files the lab publishes in its state directory (pdc.labcontract); a lab that is not
up is then an error, never a silent fallback to production or the other way round.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pdc.schema_errors import schema_errors
from pdc.yamlsource import SourceError, load

HOSTS_FILE = "hosts.pdc.yml"
WAN_FILE = "wan.pdc.yml"
CLOUD_FILE = "cloud.pdc.yml"
CLOUDS = "clouds"
LAB = "lab"
MODEL = "model"
CLOUD = "cloud"

Source = Literal["lab", "model"]
HostsSource = Literal["lab", "model", "cloud"]


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class HostsFile(_Closed):
    """The inventory plugin's options (plugins/inventory/pdc_environment.py), closed."""

    plugin: Literal["pdc_environment"]
    source: HostsSource = MODEL
    pulumi_outputs: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_./-]{1,200}$")
    admin_user: str | None = Field(default=None, pattern=r"^[a-z_][a-z0-9_-]{0,31}$")


class WanFile(_Closed):
    source: Source = MODEL


class CloudFile(_Closed):
    source: Literal["lab", "clouds"] = CLOUDS
    cloud: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,64}$")


class SourcesError(RuntimeError):
    def __init__(self, errors: list[SourceError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def _read(root: Path, filename: str, model: type[_Closed], display) -> _Closed | None:
    path = root / filename
    if not os.path.lexists(path):
        return None
    name = display(path)
    try:
        doc = load(path, name, root)
        return model.model_validate(doc.data)
    except SourceError as exc:
        raise SourcesError([exc]) from None
    except ValidationError as exc:
        raise SourcesError(schema_errors(name, doc, exc)) from None


def errors(root: Path, display=str) -> list[SourceError]:
    """Every problem in the environment's source files (for `pdc validate`)."""
    out: list[SourceError] = []
    for filename, model in ((HOSTS_FILE, HostsFile), (WAN_FILE, WanFile), (CLOUD_FILE, CloudFile)):
        try:
            _read(root, filename, model, display)
        except SourcesError as exc:
            out.extend(exc.errors)
    return out


def wan(root: Path) -> Source:
    """Where the WAN devices of the environment at `root` are: ``lab`` or ``model``."""
    parsed = _read(root, WAN_FILE, WanFile, str)
    return parsed.source if parsed else MODEL


def hosts(root: Path) -> HostsSource:
    """Where the hosts of the environment at `root` are: ``lab``, ``model`` or ``cloud``."""
    parsed = _read(root, HOSTS_FILE, HostsFile, str)
    return parsed.source if parsed else MODEL


def cloud(root: Path) -> CloudFile:
    """Which cloud the tenants of the environment at `root` run in: the lab's, or clouds.yaml's."""
    return _read(root, CLOUD_FILE, CloudFile, str) or CloudFile()
