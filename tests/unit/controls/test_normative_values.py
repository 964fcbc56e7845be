"""Normative values have one home (issue 14): the catalog's ``values``.

Changing one value there (MaxAuthTries, a sysctl) changes both what the roles write (the real
ssh and baseline templates rendered by ansible-playbook with the inventory plugin's
``pdc_control_values``) and what the audit expects (the compliance checks' items). Nothing else
is edited: the test points a copy of the catalog in through PDC_ROOT and pdc.controls.CATALOG.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import pdc.controls
from pdc import paths
from pdc.audit import policy
from pdc.controls import load_catalog

HOST = "tthc-web-01"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
SYSCTL = ("PDC-SYS-010", "kernel.sysrq")


def _module(path: Path):
    spec = importlib.util.spec_from_file_location(f"_pdc_check_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _changed_catalog(root: Path) -> dict:
    """ROOT: the repository with a copy of the catalog whose MaxAuthTries and kernel.sysrq are changed."""
    text = paths.ROOT.joinpath("controls", "catalog.yml").read_text(encoding="utf-8")
    current = load_catalog()
    tries = current.value("PDC-SSH-006", "max_auth_tries")
    sysrq = current.value(SYSCTL[0], "sysctl")[SYSCTL[1]]
    text, n = re.subn(r"(max_auth_tries:\n\s+value: )\d+", rf"\g<1>{tries + 1}", text)
    assert n == 1
    text, n = re.subn(rf"(\{{{re.escape(SYSCTL[1])}: )\d+\}}", rf"\g<1>{sysrq + 1}}}", text)
    assert n == 1
    (root / "controls").mkdir(parents=True)
    (root / "controls" / "catalog.yml").write_text(text, encoding="utf-8")
    for entry in paths.ROOT.iterdir():  # the rest of the repository as it is (the model checks roles/)
        if entry.name != "controls" and not entry.name.startswith("."):
            (root / entry.name).symlink_to(entry)
    return {"max_auth_tries": tries + 1, "sysrq": sysrq + 1, "was": (tries, sysrq)}


def _rendered(tmp_path: Path, root: Path | None) -> str:
    """The ssh drop-in and the sysctl file the roles would write on HOST (a model-sourced lab copy)."""
    env_dir = tmp_path / f"lab-{'changed' if root else 'repo'}"
    shutil.copytree(paths.INVENTORIES / "lab", env_dir)
    (env_dir / "hosts.pdc.yml").write_text("plugin: pdc_environment\nsource: model\n")
    play = [{"name": "Render", "hosts": HOST, "connection": "local", "gather_facts": False,
             # the roles' defaults and filters; --skip-tags always and `never` run none of their tasks
             "roles": [{"role": r, "tags": ["never"]} for r in ("pdc", "ssh", "baseline")],
             "tasks": [{"name": t, "ansible.builtin.debug": {
                 "msg": "{{ lookup('ansible.builtin.template', '%s') }}" % (paths.ROLES / t)}}
                 for t in ("ssh/templates/00-pdc.conf.j2", "baseline/templates/sysctl-pdc.conf.j2")]}]
    (env_dir / "play.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    env = {**os.environ, "PYTHONPATH": str(paths.ROOT), "ANSIBLE_CONFIG": str(paths.ROOT / "ansible.cfg"),
           "ANSIBLE_NOCOLOR": "1"}
    if root:
        env["PDC_ROOT"] = str(root)
    run = subprocess.run([str(ANSIBLE_PLAYBOOK), "-i", str(env_dir / "hosts.pdc.yml"), str(env_dir / "play.yml"),
                          "--skip-tags", "always", "-e", f"@{paths.ROLES / 'ssh' / 'vars' / 'Debian-12.yml'}"],
                         cwd=paths.ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run.stdout.replace("\\n", "\n")


@pytest.fixture(scope="module")
def changed(tmp_path_factory):
    root = tmp_path_factory.mktemp("root")
    return root, _changed_catalog(root)


def test_the_roles_write_the_catalogs_value(tmp_path, changed):
    root, want = changed
    tries, sysrq = want["was"]
    before = _rendered(tmp_path, None)
    assert re.search(rf"^MaxAuthTries {tries}$", before, re.M), before[-2000:]
    assert re.search(rf"^{re.escape(SYSCTL[1])} = {sysrq}$", before, re.M)
    after = _rendered(tmp_path, root)
    assert re.search(rf"^MaxAuthTries {want['max_auth_tries']}$", after, re.M), after[-2000:]
    assert re.search(rf"^{re.escape(SYSCTL[1])} = {want['sysrq']}$", after, re.M)


def test_the_audit_expects_the_catalogs_value(monkeypatch, changed):
    root, want = changed
    ssh = _module(paths.ROOT / "tests" / "compliance" / "test_ssh.py")
    kernel = _module(paths.ROOT / "tests" / "compliance" / "test_baseline_kernel.py")

    def expected() -> tuple:
        limits = {i.id: i.value for i in ssh.session_limits(None)}
        sysctls = {i.id: i.value for i in kernel.sysctl_items(SYSCTL[0])(None)}
        return limits["maxauthtries"][1], sysctls[SYSCTL[1]]

    policy._catalog.cache_clear()
    assert expected() == (want["was"][0], str(want["was"][1]))
    monkeypatch.setattr(pdc.controls, "CATALOG", root / "controls" / "catalog.yml")
    policy._catalog.cache_clear()
    try:
        assert expected() == (want["max_auth_tries"], str(want["sysrq"]))
    finally:
        monkeypatch.undo()
        policy._catalog.cache_clear()
