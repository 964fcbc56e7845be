"""Read the catalog's normative values (the inventory's ``pdc_control_values``) in role defaults.

``pdc_control_values`` is {control id: {name: value}} from controls/catalog.yml, the one home of
every threshold and setting the roles write and the audit checks. A missing entry fails the task
naming the control and the value, rather than rendering an empty setting.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def pdc_value(values, control: str, name: str):
    """One normative value: ``pdc_control_values | pdc_value('PDC-SSH-006', 'max_auth_tries')``."""
    try:
        return values[control][name]
    except (KeyError, TypeError):
        raise AnsibleFilterError(f"controls/catalog.yml gives no value {name!r} for {control} "
                                 "(pdc_control_values, set by the inventory plugin)") from None


def pdc_values_per_control(values, name: str) -> dict:
    """The value ``name`` of every control that has one, {control id: value} (e.g. each PDC-SYS sysctl table)."""
    if not isinstance(values, dict):
        raise AnsibleFilterError("pdc_control_values is not a mapping: use the environment's inventory")
    return {control: own[name] for control, own in values.items() if name in own}


class FilterModule:
    def filters(self):
        return {"pdc_value": pdc_value, "pdc_values_per_control": pdc_values_per_control}
