"""``one_line``: the last filter of every interpolation in the roles' templates (issue 13, item 4).

A daemon config is line-oriented: a value that carries a line break becomes a second directive
(``admin_group: "x\\nPasswordAuthentication yes"`` in sshd). The schema refuses such values; this
filter refuses them again where they are written, so a hole in the schema still cannot inject.
Ansible has no supported ``finalize`` hook for role templates, hence a filter on every ``{{ }}``
(tests/unit/ansible/test_role_templates.py holds every template to it).
"""

from __future__ import annotations

import unicodedata

from ansible.errors import AnsibleFilterError

# Cc: C0 controls (NUL, \t \n \v \f \r, \x1c-\x1e ...), DEL and C1 (\x85 ...); Zl/Zp: \u2028 \u2029
REFUSED_CATEGORIES = {"Cc", "Zl", "Zp"}


def one_line(value):
    """The value unchanged, or an error when its text holds a line break or a control character."""
    text = str(value)
    for index, char in enumerate(text):
        if unicodedata.category(char) in REFUSED_CATEGORIES:
            raise AnsibleFilterError(
                f"one_line: refusing to write {text!r} into a config file: it holds the line break or "
                f"control character {char!r} at position {index} (fix the value in the environment)"
            )
    return value


class FilterModule:
    def filters(self):
        return {"one_line": one_line}
