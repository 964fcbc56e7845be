"""Run by the lab cloud's gunicorn (never the toolkit's Python): Keystone's or Neutron's WSGI app.

Both services parse ``sys.argv`` with oslo.config when their app is built; under gunicorn it
holds gunicorn's own options, which oslo.config refuses. The app is built with a bare argv;
the config files come from OS_KEYSTONE_CONFIG_* / OS_NEUTRON_CONFIG_* in the environment.
"""

import os
import sys

_argv, sys.argv = sys.argv, [sys.argv[0]]
try:
    if os.environ["PDC_CLOUD_SERVICE"] == "keystone":
        from keystone.wsgi.api import application  # noqa: F401
    else:
        from neutron.wsgi.api import application  # noqa: F401
finally:
    sys.argv = _argv
