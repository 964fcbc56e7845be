"""Ansible inventory from the environment model (inventories/<env>/): no host list typed twice.

Hosts, groups and addresses come from ``pdc.environment``. Where the hosts really are comes
from one of three sources, named in the ``hosts.pdc.yml`` file next to the environment files:

- ``source: lab``: the embedded lab's state (``/var/lib/pdc/lab/<env>/hosts.json``, written by
  ``pdc lab up``): the hosts that are up, with the lab's SSH key and known_hosts.
- ``source: model``: production; addresses from the model, overridden by a saved
  ``pulumi stack output --json`` file (``pulumi_outputs``, or env var PDC_PULUMI_OUTPUTS) whose
  output ``hosts`` is {hostname: {address, system, level, zone, groups}}. That file is untrusted:
  every address must be an IPv4 address inside the host's planned zone subnet (it becomes
  ansible_host, which reaches ssh), or the inventory fails naming the file, key and value.
- ``source: cloud``: production, from the live cloud the environment's ``cloud.pdc.yml`` names (as
  ``pdc cloud audit`` chooses it: the lab's published clouds.yaml, or clouds.yaml with ``OS_CLOUD``
  or its ``cloud:``): each host's address is read from the port the plan names for it
  (pdc.cloud.hosts, read-only); a missing port, or an address that is not the planned one inside
  the host's zone subnet, fails the inventory naming the host, port, planned and live address.
"""

from __future__ import annotations

import json
import os
import re
from ipaddress import IPv4Address, ip_address
from pathlib import Path

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin

DOCUMENTATION = r"""
name: pdc_environment
short_description: hosts of a pdc environment (model + lab state or Pulumi outputs)
description:
  - Reads inventories/<env>/environment.yml, systems.yml and sites.yml through pdc.environment.
  - The inventory source is a file named C(hosts.pdc.yml) inside the environment folder.
options:
  plugin:
    description: must be pdc_environment
    required: true
    choices: [pdc_environment]
  source:
    description: C(lab) for the embedded lab's state, C(model) for production (plus Pulumi outputs),
      C(cloud) for production with each host's address read from its live port (cloud.pdc.yml's cloud).
    type: str
    default: model
    choices: [lab, model, cloud]
  pulumi_outputs:
    description: path (relative to the repository root or absolute) of a saved C(pulumi stack output --json).
    type: str
    required: false
  admin_user:
    description: the admin account Ansible logs in as.
    type: str
    default: pdcadmin
"""

HOST_FILE = "hosts.pdc.yml"
# admin_user becomes ansible_user, which reaches ssh's argv: a plain POSIX user name only
USER_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")


class InventoryModule(BaseInventoryPlugin):
    NAME = "pdc_environment"

    def verify_file(self, path):
        return super().verify_file(path) and os.path.basename(path) == HOST_FILE

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        try:
            from pdc.environment import InvalidEnvironment, load_environment
        except ImportError as exc:
            raise AnsibleParserError(f"{path}: the pdc package is not importable ({exc}); run Ansible from "
                                     "the project's .venv (make setup)") from exc
        env_dir = Path(path).resolve().parent
        admin_user = self.get_option("admin_user")
        if not isinstance(admin_user, str) or not USER_NAME.fullmatch(admin_user):
            raise AnsibleParserError(f"{path}: admin_user is {admin_user!r}, not a user name "
                                     "([a-z_][a-z0-9_-], at most 32 characters)")
        try:
            env = load_environment(env_dir)
        except InvalidEnvironment as exc:
            raise AnsibleParserError(f"{env_dir}: invalid environment:\n{exc}") from exc
        if self.get_option("source") == "lab":
            placed = self._lab(env)
        elif self.get_option("source") == "cloud":
            placed = self._cloud(env)
        else:
            placed = self._production(env, path)
        controls = self._controls(env)
        for host in env.hosts:
            if host.name not in placed:
                continue
            self._add(env, host, {**controls(host), **placed[host.name]})

    def _controls(self, env):
        """Per host: pdc_active_controls (pdc.applicability, the audit's own answer), the kernel ones
        among them (the pdc role drops those in a container) and the catalog's normative values."""
        from pdc.applicability import active_controls, decisions_of, host_target
        from pdc.audit.waivers import WaiverErrors
        from pdc.controls import InvalidCatalog, load_catalog

        try:
            catalog = load_catalog()
            decisions = decisions_of(env.root / "waivers.yml", catalog)
        except (InvalidCatalog, WaiverErrors) as exc:
            raise AnsibleParserError(f"{env.root}: invalid controls catalog or waivers:\n{exc}") from exc
        kernel = {c.id for c in catalog.controls if c.kernel}
        values = catalog.values()

        def of(host) -> dict:
            active = active_controls(host_target(host), catalog, decisions)
            return {"pdc_active_controls": active,
                    "pdc_kernel_controls": [c for c in active if c in kernel],
                    "pdc_control_values": values}
        return of

    def _add(self, env, host, hostvars: dict) -> None:
        from pdc.hostvars import environment_vars

        name = self.inventory.add_host(host.name)
        for group in host.ansible_groups:
            self.inventory.add_group(group)
            self.inventory.add_child(group, name)
        facts = {
            "pdc_environment": env.name,
            "pdc_system": host.system.id,
            "pdc_vm_group": host.group.name,
            "pdc_level": host.level,
            "pdc_zone": host.zone,
            "pdc_os": host.group.os,
            "pdc_roles": list(host.group.roles),
            "pdc_ip_forwarding": host.group.ip_forwarding,
            "pdc_lab_kind": host.group.lab_kind,
            "pdc_address": str(host.address),
            **environment_vars(env, host),  # shared services and networks the roles read (pdc.hostvars)
            "ansible_user": self.get_option("admin_user"),
            "ansible_python_interpreter": "/usr/bin/python3",
            **hostvars,
        }
        for key, value in facts.items():
            self.inventory.set_variable(name, key, value)

    def _lab(self, env) -> dict[str, dict]:
        from pdc import labcontract  # the files the lab publishes; the lab itself is not imported

        root = labcontract.root(env.name)
        up = labcontract.hosts_up(env.name)
        if not up:
            self.display.warning(f"lab {env.name} is not up (no {root / labcontract.HOSTS_FILE}): run "
                                 f"`pdc lab up {env.name}`; listing the model's hosts")
        ssh_args = (f"-o UserKnownHostsFile={root / labcontract.KNOWN_HOSTS} -o StrictHostKeyChecking=yes "
                    "-o IdentitiesOnly=yes")
        out = {}
        for host in env.hosts:
            if up and host.name not in up:
                continue  # e.g. the VM host after `pdc lab up --no-vm`
            item = up.get(host.name, {})
            out[host.name] = {
                "ansible_host": item.get("address", str(host.address)),
                "ansible_ssh_private_key_file": str(root / labcontract.KEY),
                "ansible_ssh_common_args": ssh_args,
                "pdc_lab_up": bool(item),
            }
        for kind in ("container", "vm"):
            group = f"lab_{kind}s"
            self.inventory.add_group(group)
            for host in env.hosts:
                if host.name in out and host.group.lab_kind == kind:
                    self.inventory.add_child(group, self.inventory.add_host(host.name))
        return out

    def _cloud(self, env) -> dict[str, dict]:
        """Each host's address from its live port, refused when it disagrees with the plan."""
        from pdc.cloud.connect import CloudError, connect
        from pdc.cloud.hosts import addresses

        if env.settings.openstack is None:
            raise AnsibleParserError(f"{env.root / 'environment.yml'}: source: cloud, but no 'openstack:' "
                                     "section: there is no plan naming the hosts' ports")
        try:
            conn, name = connect(env)
            try:
                found = addresses(env, conn, name)
            finally:
                conn.close()
        except CloudError as exc:
            raise AnsibleParserError(f"{env.root}: source: cloud: {exc}") from None
        return {host: {"ansible_host": address} for host, address in found.items()}

    def _production(self, env, path) -> dict[str, dict]:
        outputs_path = os.environ.get("PDC_PULUMI_OUTPUTS") or self.get_option("pulumi_outputs")
        outputs = {}
        if outputs_path:
            outputs = self._read_outputs(env, Path(outputs_path), path)
        out = {}
        for host in env.hosts:
            item = outputs.get(host.name, {})
            out[host.name] = {"ansible_host": item.get("address", str(host.address))}
        return out

    def _read_outputs(self, env, outputs_path: Path, config_path: str) -> dict:
        from pdc import paths

        if not outputs_path.is_absolute():
            outputs_path = paths.ROOT / outputs_path
        if not outputs_path.exists():
            self.display.v(f"{outputs_path}: no saved Pulumi outputs; using the model's addresses")
            return {}
        try:
            hosts = json.loads(outputs_path.read_text())["hosts"]
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
            raise AnsibleParserError(f"{outputs_path}: not a `pulumi stack output --json` with a 'hosts' "
                                     f"output ({exc})") from exc
        if not isinstance(hosts, dict):
            raise AnsibleParserError(f"{outputs_path}: output 'hosts' is {type(hosts).__name__}, not a mapping "
                                     "of host name to {address, system, zone, level}")
        known = {h.name: h for h in env.hosts}
        for name, item in hosts.items():
            host = known.get(name)
            if host is None:
                raise AnsibleParserError(f"{outputs_path}: host {name!r} is not in the {env.name} model "
                                         "(stack and model disagree: run the stack again or fix systems.yml)")
            if not isinstance(item, dict):
                raise AnsibleParserError(f"{outputs_path}: hosts.{name} is {item!r}, not a mapping")
            for key, expected in (("system", host.system.id), ("zone", host.zone), ("level", host.level)):
                if key in item and item[key] != expected:
                    raise AnsibleParserError(f"{outputs_path}: hosts.{name}.{key} is {item[key]!r}, the model says "
                                             f"{expected!r}")
            if "address" in item:
                _check_address(env, host, item["address"], f"{outputs_path}: hosts.{name}.address")
        return hosts


def _check_address(env, host, value, where: str) -> None:
    """The saved address must be a plain IPv4 address of the host's planned zone subnet (no options,
    no second word, nothing outside the plan): it becomes ansible_host, which reaches ssh."""
    subnet = env.zone_subnet(host.system, host.zone)
    try:
        address = ip_address(value) if isinstance(value, str) else None
    except ValueError:
        address = None
    if not isinstance(address, IPv4Address) or str(address) != value:
        raise AnsibleParserError(f"{where} is {value!r}: not an IPv4 address")
    if address not in subnet or address in (subnet.network_address, subnet.broadcast_address):
        raise AnsibleParserError(f"{where} is {value!r}: outside {host.name}'s planned {host.zone} subnet "
                                 f"{subnet} (systems.yml)")
