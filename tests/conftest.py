"""Shared test wiring: the lab fixtures (lab_env, lab_hosts, lab_vm, lab_switches)."""

pytest_plugins = ["pdc.lab.pytest_plugin"]
