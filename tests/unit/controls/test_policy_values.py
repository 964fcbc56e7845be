"""The CrossGuard pack reads its encryption threshold from the environment (issue 14).

``openstack.encrypted_from_level`` is the one place: the stacks choose volume types by it and the
``level3-encrypted-volumes`` policy judges by it. The same violating plan (an unencrypted volume
on level-3 tthc) fails at the lab's threshold and passes when the environment raises it.
"""

from __future__ import annotations

import shutil

import pytest
import yaml

from pdc import paths
from pdc.environment import load_environment
from pdc.plan import plan

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
POLICY = "level3-encrypted-volumes"


def _lab_with(tmp_path, from_level: int):
    root = tmp_path / f"lab-{from_level}"
    shutil.copytree(paths.INVENTORIES / "lab", root)
    env_doc = yaml.safe_load((root / "environment.yml").read_text())
    systems_doc = yaml.safe_load((root / "systems.yml").read_text())
    env_doc["openstack"]["encrypted_from_level"] = from_level
    tthc = next(s for s in systems_doc["systems"] if s["id"] == "tthc")
    next(g for g in tthc["vm_groups"] if g["name"] == "db")["volume_type"] = "standard"
    (root / "environment.yml").write_text(yaml.safe_dump(env_doc, allow_unicode=True, sort_keys=False))
    (root / "systems.yml").write_text(yaml.safe_dump(systems_doc, allow_unicode=True, sort_keys=False))
    return load_environment(root)


def test_the_policy_judges_by_the_environments_threshold(tmp_path):
    lab = load_environment("lab")
    tthc = next(s for s in lab.systems if s.id == "tthc")
    threshold = lab.settings.openstack.encrypted_from_level
    assert tthc.level >= threshold, "the lab's tthc must be at or above the lab's threshold"

    at_lab = plan(_lab_with(tmp_path, threshold))
    found = [v for v in at_lab.violations if v.policy == POLICY]
    assert found and all(f"level {threshold}+ needs an encrypted type" in v.message for v in found)

    raised = plan(_lab_with(tmp_path, tthc.level + 1))
    assert [v for v in raised.violations if v.policy == POLICY] == []
