"""The files a running lab publishes for the product to read, by path (pdc never imports pdc.lab).

Under ``<PDC_STATE>/lab/<env>/``, written by ``pdc lab up``:
- ``switches.json`` (mode 600): the emulated WAN's credentials and each device's host and port;
- ``switches/ready.json`` and ``switches/server.pid``: the emulated WAN is up (``down`` removes them);
- ``cloud/clouds.yaml`` (mode 600): the lab cloud's Keystone URL and its admin and deployer
  credentials (``pdc lab up --cloud``; ``down`` removes it);
- ``hosts.json``: the lab hosts that are up; ``ssh_config``, ``id_ed25519`` and ``known_hosts``:
  how to reach them.

Only an environment whose ``wan.pdc.yml`` or ``hosts.pdc.yml`` says ``source: lab`` reads these.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pdc import paths

SWITCHES_FILE = "switches.json"
SWITCHES_DIR = "switches"
READY_FILE = "ready.json"
PID_FILE = "server.pid"
SPEC_FILE = "spec.json"
HOSTS_FILE = "hosts.json"
SSH_CONFIG = "ssh_config"
KEY = "id_ed25519"
KNOWN_HOSTS = "known_hosts"
CLOUD_DIR = "cloud"
CLOUDS_YAML = "clouds.yaml"
LAB_AUDIT_CLOUD = "admin"  # the lab clouds.yaml's cloud that reads every project


class LabNotUp(RuntimeError):
    """The environment's source is the lab, but the part of the lab it needs is not running."""


def root(env_name: str) -> Path:
    return paths.STATE / "lab" / env_name


@dataclass(frozen=True)
class Device:
    host: str
    port: int


def _wan_running(env_name: str) -> bool:
    run = root(env_name) / SWITCHES_DIR
    try:
        pid = int((run / PID_FILE).read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except (OSError, ValueError):
        return False
    # the pid is still the emulator's own (its command line names its spec), not a recycled one
    return (run / READY_FILE).exists() and str(run / SPEC_FILE) in cmdline


def _switches(env_name: str) -> dict:
    file = root(env_name) / SWITCHES_FILE
    if not _wan_running(env_name):
        raise LabNotUp(f"the WAN of {env_name} is `source: lab` (wan.pdc.yml) but its emulated WAN is not up: "
                       f"run `pdc lab up {env_name} --wan-only`")
    try:
        data = json.loads(file.read_text())
    except (OSError, ValueError) as exc:
        raise LabNotUp(f"{file}: unreadable lab contract ({type(exc).__name__}): run `pdc lab up {env_name} "
                       "--wan-only` again") from None
    if not isinstance(data, dict) or not isinstance(data.get("devices"), dict):
        raise LabNotUp(f"{file}: no 'devices' mapping: run `pdc lab up {env_name} --wan-only` again")
    return data


def wan_devices(env_name: str) -> dict[str, Device]:
    """Each emulated device's address, by site id."""
    out = {}
    file = root(env_name) / SWITCHES_FILE
    for site_id, item in _switches(env_name)["devices"].items():
        try:
            out[site_id] = Device(str(item["host"]), int(item["port"]))
        except (KeyError, TypeError, ValueError):
            raise LabNotUp(f"{file}: devices.{site_id} has no host and port") from None
    return out


def wan_credentials(env_name: str) -> dict:
    """The emulated WAN's generated credentials (username, password, secret, snmp_auth, snmp_priv)."""
    return {k: v for k, v in _switches(env_name).items() if k != "devices"}


def hosts_up(env_name: str) -> dict[str, dict]:
    """The lab hosts that are up, by name (each with its address); empty when none is."""
    try:
        hosts = json.loads((root(env_name) / HOSTS_FILE).read_text()).get("hosts", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return hosts if isinstance(hosts, dict) else {}


def started_hosts(env_name: str) -> set[str]:
    """Names of the lab hosts that are up; LabNotUp when none is."""
    file = root(env_name) / HOSTS_FILE
    hosts = hosts_up(env_name)
    if not hosts:
        raise LabNotUp(f"the hosts of {env_name} are `source: lab` (hosts.pdc.yml) but its lab is not up "
                       f"(no hosts in {file}): run `pdc lab up {env_name}`")
    return set(hosts)


def ssh_config(env_name: str) -> Path:
    return root(env_name) / SSH_CONFIG


def clouds_yaml(env_name: str) -> Path:
    """The lab cloud's clouds.yaml; LabNotUp when the lab cloud is not up."""
    file = root(env_name) / CLOUD_DIR / CLOUDS_YAML
    if not file.is_file():
        raise LabNotUp(f"the cloud of {env_name} is `source: lab` (cloud.pdc.yml) but its lab cloud is not up "
                       f"(no {file}): run `pdc lab up {env_name} --cloud`")
    return file
