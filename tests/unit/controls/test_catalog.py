"""The controls catalog: its schema, its errors, and that every control is implemented.

"Implemented" is checked against the roles themselves: for each control with status
implemented or opt-in there must be a task in the control's role, in the task file of its area
tag (or the role's main.yml), whose name starts with the control id list and which carries the id
as a tag, so `--tags <id>` really runs it.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
import yaml

from pdc import paths
from pdc.controls import InvalidCatalog, load_catalog

ID = re.compile(r"PDC-[A-Z]{2,4}-[0-9]{3}")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def _tasks(items, file):
    for task in items or []:
        if not isinstance(task, dict):
            continue
        yield file, task
        for key in ("block", "rescue", "always"):
            yield from _tasks(task.get(key), file)


@functools.cache
def role_tasks(role: str) -> list[tuple[str, dict]]:
    out = []
    for file in sorted((paths.ROLES / role / "tasks").glob("*.yml")):
        out.extend(_tasks(yaml.safe_load(file.read_text()), file.stem))
    return out


def test_catalog_loads_with_unique_ids(catalog):
    ids = [c.id for c in catalog.controls]
    assert len(ids) == len(set(ids)) >= 60
    assert catalog.by_id["PDC-SSH-003"].title.startswith("Root")


def test_every_level_adds_controls(catalog):
    counts = [len(catalog.for_level(n)) for n in range(1, 6)]
    assert counts == sorted(counts) and counts[0] > 20


def test_exceptions_and_opt_ins_carry_a_reason(catalog):
    for c in catalog.controls:
        if c.status != "implemented":
            assert c.reason and len(c.reason) > 20, c.id


def test_kernel_controls_are_the_sysctl_mount_and_audit_ones(catalog):
    kernel_tags = {c.tag for c in catalog.controls if c.kernel}
    assert kernel_tags == {"mounts", "sysctl", "auditd", "apparmor"}


_CATALOG = load_catalog()


# host controls are enforced by roles; WAN controls by the switch templates (tests/unit/wan/test_wan_audit.py)
# not-applicable controls are proven by their design check; one whose design a role enforces
# (PDC-PKG-004, PDC-FW-006) also names a task
@pytest.mark.parametrize("control_id", [c.id for c in _CATALOG.controls
                                        if c.status in ("implemented", "opt-in") and c.target == "host"])
def test_control_has_a_task_named_and_tagged_with_its_id(control_id):
    control = _CATALOG.by_id[control_id]
    role_dir = paths.ROLES / control.role
    assert (role_dir / "meta" / "argument_specs.yml").exists(), f"{control.role}: no argument specs"
    found = []
    for file, task in role_tasks(control.role):
        name = str(task.get("name", ""))
        head = name.split("|", 1)[0]
        tags = task.get("tags") or []
        tags = [tags] if isinstance(tags, str) else tags
        if control.id in ID.findall(head) and "|" in name:
            found.append((file, control.id in tags))
    assert found, f"{control.id}: no task in roles/{control.role} named '{control.id} | ...'"
    assert any(tagged for _, tagged in found), f"{control.id}: tasks named with it lack the tag {control.id}"
    # the task lives in the area's file (one switch and one tag per area), or the role's main.yml
    files = {f for f, _ in found}
    assert files & {control.tag, "main", _area_file(control)}, (control.id, files)


def _area_file(control) -> str:
    return {"ssh": "sshd", "firewall": "nftables", "timesync": "chrony", "logging": "rsyslog",
            "auditd": "auditd"}.get(control.tag, control.tag)


def test_area_switch_and_tag_exist_for_every_tag(catalog):
    for role in {c.role for c in catalog.controls if c.target == "host"}:
        defaults = yaml.safe_load((paths.ROLES / role / "defaults" / "main.yml").read_text())
        tags = {c.tag for c in catalog.by_role(role)}
        for tag in tags:
            switch = f"{role}_{tag}_enabled" if tag != role else f"{role}_enabled"
            assert switch in defaults, f"roles/{role}: no switch {switch}"


def test_no_task_names_an_unknown_control(catalog):
    for role in {p.parent.parent.name for p in paths.ROLES.glob("*/tasks/main.yml")}:
        for _, task in role_tasks(role):
            for cid in ID.findall(str(task.get("name", ""))):
                assert cid in catalog.by_id, f"roles/{role}: task {task['name']!r} names unknown {cid}"


def test_errors_name_file_line_and_field(tmp_path: Path):
    bad = tmp_path / "catalog.yml"
    bad.write_text(
        "every_host_roles: [ssh]\n"
        "controls:\n"
        "  - id: PDC-SSH-1\n"
        "    title: too short id\n"
        "    severity: extreme\n"
        "    min_level: 7\n"
        "    tcvn_group: server\n"
        "    role: ssh\n"
        "    tag: ssh\n"
        "    kernel: false\n"
        "    status: exception\n"
        "    check: something\n"
    )
    with pytest.raises(InvalidCatalog) as exc:
        load_catalog(bad)
    text = str(exc.value)
    assert "controls[0].id" in text and ":3:" in text
    assert "controls[0].severity" in text and "controls[0].min_level" in text


def test_exception_without_reason_is_refused(tmp_path: Path):
    bad = tmp_path / "catalog.yml"
    bad.write_text(
        "every_host_roles: [ssh]\ncontrols:\n"
        "  - {id: PDC-SSH-001, title: a title, severity: low, min_level: 1, tcvn_group: server,\n"
        "     role: ssh, tag: ssh, kernel: false, status: exception, check: checked}\n"
    )
    with pytest.raises(InvalidCatalog, match="needs a written reason"):
        load_catalog(bad)


def test_duplicate_ids_are_refused(tmp_path: Path):
    item = ("  - {id: PDC-SSH-001, title: a title, severity: low, min_level: 1, tcvn_group: server,"
            " role: ssh, tag: ssh, kernel: false, status: implemented, check: checked}\n")
    bad = tmp_path / "catalog.yml"
    bad.write_text("every_host_roles: [ssh]\ncontrols:\n" + item + item)
    with pytest.raises(InvalidCatalog, match="duplicate id PDC-SSH-001"):
        load_catalog(bad)


def test_generated_doc_is_up_to_date(catalog):
    from pdc.cli.controls import render_markdown

    assert (paths.DOCS / "controls.md").read_text(encoding="utf-8") == render_markdown(catalog), \
        "docs/controls.md is stale: run `pdc controls doc`"


@pytest.mark.parametrize("env", ["lab", "haiduong"])
def test_per_system_playbooks_are_generated_and_current(env):
    from pdc import playbooks
    from pdc.environment import load_environment

    files = playbooks.render(load_environment(env))
    for path, text in files.items():
        assert path.exists() and path.read_text(encoding="utf-8") == text, \
            f"{path} is stale: run `pdc controls playbooks {env}`"
