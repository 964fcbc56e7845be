"""Huawei VRP (S-series campus switches). No emulator yet: rendered, diffed and parsed here; a push
goes through this driver but is unproven live, and the lockout guard refuses VRP until it knows it."""

from __future__ import annotations

import re

from hier_config import Platform

from pdc.wan.platforms import Driver

DRIVER = Driver(
    name="huawei_vrp",
    device_type="huawei",
    hier_platform=Platform.HUAWEI_VRP,
    # VRP answers a refused line with "Error: ..." under a caret marking the position
    error_pattern=r"Error: |Unrecognized command|Incomplete command|Wrong parameter|Too many parameters",
    config_prompt=re.compile(r"^\[[~*]?[\w.-]+(?:-[^\]\r\n]+)?\]", re.M),
    show_running="display current-configuration",
    show_startup="display saved-configuration",
    save_command="save",
    save_confirm=True,  # "Are you sure to continue?[Y/N]"
    save_answer="y",
    save_ok=re.compile(r"saved successfully|Save the configuration successfully", re.I),
    negation="undo ",
    never_remove=re.compile(
        r"^undo (?:vlan 1|interface (?:Vlanif1|(?:Ethernet|GigabitEthernet|XGigabitEthernet)\S+))$"),
    not_config=re.compile(r"^(?:#.*|!.*|return|\s*)$"),
    header=re.compile(r"^!(?:Software Version|Last configuration was).*$", re.M),
    # no device-side revert in pdc for VRP yet (V8's `commit trial` is not used; V5 has none): the
    # controller rolls back, as before
    revert_note="controller-side rollback only: no device-side revert timer on huawei_vrp in pdc",
)
