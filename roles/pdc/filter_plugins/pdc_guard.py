"""The lockout guards' gate: a task that changes sshd, PAM or the firewall calls it in its ``when``.

Each area's guard (tagged ``always``) sets ``pdc_guard_<area>`` once its pre-flight assert has
passed. A changing task then evaluates ``pdc_guard_<area> | default(false) | pdc_require_guard(...)``:
when ``--skip-tags always`` (or any other selection) dropped the guard, the task fails with a
clear message instead of silently running or silently skipping.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def pdc_require_guard(passed, area: str, host: str = "this host") -> bool:
    """True when the area's guard passed in this run; otherwise refuse, naming area and host."""
    if passed is True:
        return True
    raise AnsibleFilterError(
        f"refusing to change {area} on {host}: its lockout guard did not run in this play "
        "(tasks tagged 'always' were skipped?); run without --skip-tags always"
    )


class FilterModule:
    def filters(self):
        return {"pdc_require_guard": pdc_require_guard}
