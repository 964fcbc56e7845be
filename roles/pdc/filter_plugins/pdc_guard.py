"""The lockout guards' gate: a task that changes sshd, PAM or the firewall calls it in its ``when``.

Each area's guard (tagged ``always``) sets its fact (``ssh_guard_passed``, ``firewall_guard_passed``,
``baseline_pam_guard_passed``, ``bastion_guard_passed``) once its pre-flight assert has passed. A
changing task then evaluates ``<fact> | default(false) | pdc_require_guard(area, host)``: when
``--skip-tags always`` or ``--start-at-task`` dropped the guard, the task fails with a clear
message instead of silently running or silently skipping.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def pdc_require_guard(passed, area: str, host: str = "this host") -> bool:
    """True when the area's guard passed in this run; otherwise refuse, naming area and host."""
    if passed is True:
        return True
    raise AnsibleFilterError(
        f"refusing to change {area} on {host}: its lockout guard did not run in this play "
        "(--skip-tags always, or --start-at-task past it?); run again without them"
    )


class FilterModule:
    def filters(self):
        return {"pdc_require_guard": pdc_require_guard}
