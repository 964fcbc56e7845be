"""A clouds.yaml whose one cloud, `prod`, points at a loopback port nobody listens on."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture
def unreachable_clouds(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(f"clouds:\n  prod:\n    auth:\n      auth_url: http://127.0.0.1:{port}/v3\n"
                      "      username: u\n      password: p\n      project_name: p\n"
                      "      user_domain_name: Default\n      project_domain_name: Default\n")
    return clouds
