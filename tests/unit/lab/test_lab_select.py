"""`hosts.up(env, only=...)`: which hosts a narrowed `up` starts (no root needed to choose them)."""

from __future__ import annotations

import pytest

from pdc.environment import load_environment
from pdc.lab import errors, hosts


@pytest.fixture(scope="module")
def lab_model():
    return load_environment("lab")


def test_all_hosts_or_all_but_the_vms(lab_model):
    assert [h.name for h in hosts.selected(lab_model, True)] == [h.name for h in lab_model.hosts]
    assert all(h.group.lab_kind != "vm" for h in hosts.selected(lab_model, False))


def test_only_starts_just_the_named_hosts(lab_model):
    vm = next(h.name for h in lab_model.hosts if h.group.lab_kind == "vm")
    assert [h.name for h in hosts.selected(lab_model, True, only=[vm])] == [vm]


def test_only_refuses_unknown_or_excluded_hosts(lab_model):
    with pytest.raises(errors.LabError, match="no-such-host"):
        hosts.selected(lab_model, True, only=["no-such-host"])
    vm = next(h.name for h in lab_model.hosts if h.group.lab_kind == "vm")
    with pytest.raises(errors.LabError, match=vm):  # with_vm=False and only=[the VM] contradict
        hosts.selected(lab_model, False, only=[vm])
