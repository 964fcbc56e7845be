"""Shared test wiring: the lab fixtures (lab_env, lab_hosts, lab_vm, lab_switches) from tests/labkit.

pytest puts this folder (tests/, no __init__.py) on sys.path before importing this file, so the
helpers import as ``labkit``.
"""

pytest_plugins = ["labkit.pytest_plugin"]
