"""The tenant program: one OpenStack tenant per e-government system.

Run by Pulumi through ``stacks/__main__.py`` and, unchanged, in-process with
Pulumi's mocks by ``pdc plan`` (``pdc/plan.py``).
"""
