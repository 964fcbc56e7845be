"""The lockout guards run whenever a task that changes sshd, PAM or the firewall runs (issue 13, item 9).

Three proofs, all on the real playbooks and roles:
- for every control id of the ssh, pam, firewall and bastion areas (from the catalog and from the
  role task tags), ``--list-tasks --tags <id>`` lists the area's guard before each changing task
  (every selection through Ansible's own tag evaluation in one process, list_tasks.py, which is
  checked against the real ``ansible-playbook --list-tasks`` output for one id per area);
- no ``--skip-tags`` of a tag a guard carries (other than ``always``) drops it while keeping a
  changing task;
- every changing task of those areas requires its guard's fact, so ``--skip-tags always`` (the
  one selection that drops the guards) makes the task fail with a clear message, not run.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml
from ansible_support import ansible_env, run_many, run_playbook

from pdc import paths
from pdc.controls import load_catalog

# area -> (the fact its guard sets, the control-id prefix of its tasks)
GUARDS = {"ssh": ("ssh_guard_passed", "PDC-SSH-"), "pam": ("baseline_pam_guard_passed", "PDC-PAM-"),
          "firewall": ("firewall_guard_passed", "PDC-FW-"), "bastion": ("bastion_guard_passed", "PDC-BAS-")}
READ_ONLY = {"ansible.builtin.assert", "ansible.builtin.set_fact", "ansible.builtin.meta",
             "ansible.builtin.include_tasks", "ansible.builtin.include_vars", "ansible.builtin.find"}
LISTED = re.compile(r"^\s+(?P<name>\w+ : .+?)\tTAGS: \[(?P<tags>[^\]]*)\]$")  # role : task name
ID = re.compile(r"PDC-[A-Z]{2,4}-[0-9]{3}")


def _module(task: dict) -> str:
    return next((k for k in task if k.startswith("ansible.")), "")


def _conditions(value) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


@cache
def role_tasks() -> list[tuple[str, dict, list[str]]]:
    """(role, task, conditions including those inherited from an import_tasks) of every role."""
    out = []
    for role_dir in sorted(paths.ROLES.iterdir()):
        tasks_dir = role_dir / "tasks"
        if not (tasks_dir / "main.yml").exists():
            continue

        def walk(file, inherited, role=role_dir.name, tasks_dir=tasks_dir):
            for task in yaml.safe_load((tasks_dir / file).read_text()) or []:
                conds = inherited + _conditions(task.get("when"))
                if _module(task) == "ansible.builtin.import_tasks":
                    walk(task["ansible.builtin.import_tasks"], conds)
                else:
                    out.append((role, task, conds))

        walk("main.yml", [])
    return out


def _changes(task: dict) -> bool:
    module = _module(task)
    if module in READ_ONLY:
        return False
    return not (module == "ansible.builtin.command" and task.get("changed_when") is False)


def _area(task: dict) -> str | None:
    head = str(task.get("name", "")).split("|", 1)[0]
    for area, (_, prefix) in GUARDS.items():
        if any(cid.startswith(prefix) for cid in ID.findall(head)):
            return area
    return None


def guarded_tasks() -> dict[str, str]:
    """Name -> area of every task that changes sshd, PAM or the firewall."""
    return {task["name"]: area for _, task, _ in role_tasks()
            if _changes(task) and (area := _area(task))}


def guard_tasks() -> dict[str, list[str]]:
    """Area -> the names of its guard: the assert and the set_fact that records it passed."""
    tasks = [task for _, task, _ in role_tasks()]
    out = {}
    for i, task in enumerate(tasks):
        facts = task.get("ansible.builtin.set_fact") or {}
        for area, (fact, _) in GUARDS.items():
            if fact in facts:
                out[area] = [tasks[i - 1]["name"], task["name"]]
    return out


def area_tags() -> list[str]:
    """Every control id of the guarded areas, from the catalog and the roles' task tags, and the
    area tags themselves."""
    catalog = load_catalog()
    prefixes = tuple(prefix for _, prefix in GUARDS.values())
    ids = {c.id for c in catalog.controls if c.id.startswith(prefixes) and c.status != "exception"}
    for _, task, _ in role_tasks():
        ids |= {t for t in task.get("tags") or [] if str(t).startswith(prefixes)}
    return sorted(ids) + sorted({c.tag for c in catalog.controls if c.id.startswith(prefixes)})


Plays = list[list[tuple[str, list[str]]]]


def listed_plays(output: str) -> Plays:
    """The plays of a real `ansible-playbook --list-tasks` output: (task name, tags) each."""
    plays: Plays = []
    for line in output.splitlines():
        if line.lstrip().startswith("play #"):
            plays.append([])
        elif (m := LISTED.match(line)) and plays:
            plays[-1].append((m["name"], [t.strip() for t in m["tags"].split(",") if t.strip()]))
    return plays


def api_listings(inventory: Path, selections: list[dict]) -> list[Plays]:
    """The same listing for many selections, through Ansible's API in one process (list_tasks.py)."""
    script = Path(__file__).with_name("list_tasks.py")
    run = subprocess.run([sys.executable, str(script), str(inventory), "playbooks/site.yml", json.dumps(selections)],
                         cwd=paths.ROOT, env=ansible_env(), capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return [[[(name, tags) for name, tags in play] for play in listing] for listing in json.loads(run.stdout)]


def _names(play) -> list[str]:
    """The listed task names without their `role : ` prefix, as the role files name them."""
    return [name.split(" : ", 1)[-1] for name, _ in play]


def unguarded(plays: Plays) -> list[str]:
    """Changing tasks listed without their area's guard (both tasks) earlier in the same play."""
    changing, guards = guarded_tasks(), guard_tasks()
    missing = []
    for play in plays:
        names = _names(play)
        for i, name in enumerate(names):
            if name in changing and not set(guards[changing[name]]) <= set(names[:i]):
                missing.append(name)
    return missing


def test_the_areas_have_guards_and_changing_tasks():
    assert set(guard_tasks()) == set(GUARDS)
    assert set(guarded_tasks().values()) == set(GUARDS)


def test_every_changing_task_requires_its_guard():
    for _, task, conds in role_tasks():
        area = _area(task)
        if not area or not _changes(task):
            continue
        fact = GUARDS[area][0]
        assert any(re.match(rf"^{fact} \| default\(false\) \| pdc_require_guard\(", c) for c in conds), (
            f"{task['name']!r} changes {area} but does not require {fact}")


def test_guards_are_tagged_always_only():
    for names in guard_tasks().values():
        for _, task, _ in role_tasks():
            if task.get("name") in names:
                assert task.get("tags") == ["always"], task["name"]


@pytest.fixture(scope="module")
def tag_listings(model_inventory) -> dict[str, Plays]:
    tags = area_tags()
    return dict(zip(tags, api_listings(model_inventory, [{"tags": [t]} for t in tags]), strict=True))


def test_the_api_listing_is_the_cli_listing(model_inventory, tag_listings):
    # one id per area, and an area tag: Ansible's CLI lists exactly what list_tasks.py lists
    sample = [next(t for t in tag_listings if t.startswith(prefix)) for _, prefix in GUARDS.values()] + ["ssh"]
    runs = run_many([["-i", str(model_inventory), "playbooks/site.yml", "--list-tasks", "--tags", t] for t in sample])
    for tag, run in zip(sample, runs, strict=True):
        assert run.returncode == 0, run.stderr
        assert listed_plays(run.stdout) == tag_listings[tag], tag


def test_list_tasks_shows_the_guards_under_every_area_tag(tag_listings):
    changing = guarded_tasks()
    assert len(tag_listings) >= 20  # 9 ssh, 4 pam, 5 firewall, 2 bastion ids, plus area tags
    for tag, plays in tag_listings.items():
        listed = [name for play in plays for name in _names(play)]
        assert any(name in changing for name in listed), f"--tags {tag} selects no changing task"
        assert unguarded(plays) == [], f"--tags {tag}: {unguarded(plays)} run without the guard"


def test_skip_tags_cannot_drop_a_guard_and_keep_a_changing_task(model_inventory):
    guard_names = {n for names in guard_tasks().values() for n in names}
    skips = sorted({"ssh", "pam", "firewall", "bastion"} | {cid for name in guard_names for cid in ID.findall(name)})
    full, *skipped = api_listings(model_inventory, [{}] + [{"skip_tags": [t]} for t in skips])
    guard_tags = {t for play in full for name, tags in play if name.split(" : ", 1)[-1] in guard_names
                  for t in tags}
    # By Ansible's semantics only `--skip-tags always` can now drop a guard (proven fail-closed
    # below); the area tags and the ids named in the guards are checked one by one all the same.
    assert guard_tags == {"always"}
    for tag, plays in zip(skips, skipped, strict=True):
        assert unguarded(plays) == [], f"--skip-tags {tag}: {unguarded(plays)} without the guard"
    # and without any selection, every changing task is listed after its guard
    assert unguarded(full) == [] and {n for play in full for n in _names(play)} >= set(guarded_tasks())


@pytest.mark.parametrize(("tag", "area"), [("PDC-SSH-002", "sshd"), ("PDC-FW-004", "firewall"),
                                           ("PDC-PAM-004", "PAM")])
def test_skipping_always_makes_the_changing_task_fail_not_run(tag, area):
    # Real run on this machine in check mode: the task fails in its `when`, before any module runs.
    run = run_playbook("-i", "localhost,", "-c", "local", "playbooks/harden.yml", "--check",
                       "--tags", tag, "--skip-tags", "always")
    assert run.returncode != 0
    assert f"refusing to change {area} on localhost: its lockout guard did not run" in run.stdout
    assert "changed=0" in run.stdout
