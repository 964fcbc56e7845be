"""Fixtures of the Ansible unit tests (no lab): see ansible_support."""

from pathlib import Path

import pytest
from ansible_support import make_model_inventory


@pytest.fixture(scope="session")
def model_inventory(tmp_path_factory) -> Path:
    return make_model_inventory(tmp_path_factory.mktemp("inv") / "haiduong")
