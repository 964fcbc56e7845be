"""The embedded lab: a local copy of the data centre on this machine.

``hosts`` runs the environment's hosts (systemd-nspawn containers and QEMU VMs)
behind one lab core router netns; ``switches`` runs the emulated WAN. Both keep
their state under ``pdc.paths.STATE / "lab" / <env>``; build caches live in
``pdc.paths.CACHE`` so clones and later runs reuse them.
"""
