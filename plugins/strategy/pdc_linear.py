"""The playbooks' strategy: Ansible's linear strategy, over Mitogen when Mitogen is installed."""

from __future__ import annotations

DOCUMENTATION = """
name: pdc_linear
short_description: Ansible's linear strategy, run over Mitogen when it is installed
description:
  - Runs tasks exactly as the built-in C(linear) strategy does (task by task, every host in step).
  - When the C(mitogen) package is installed (C(make setup) pins it), each host keeps one Python
    interpreter for the whole play instead of starting one per task, which halves a hardening run
    on the lab (C(bench/harden.py)).
  - Without Mitogen, or with C(ANSIBLE_STRATEGY=linear), Ansible's own linear strategy runs.
author: pdc
"""

try:
    import ansible_mitogen.loaders
    import ansible_mitogen.strategy
except ImportError:
    from ansible.plugins.strategy.linear import StrategyModule  # noqa: F401
else:

    class StrategyModule(ansible_mitogen.strategy.StrategyMixin,
                         ansible_mitogen.loaders.strategy_loader.get("linear", class_only=True)):
        pass
