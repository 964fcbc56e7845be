"""The lab's cloud: real Keystone and Neutron API services on this machine, and the lab's
stand-in for `pulumi up` that fills them from the plan.

- ``services``: Keystone 30 and Neutron 29 from PyPI, pinned (``requirements.txt``), in a
  virtualenv of their own under the PDC cache, on SQLite, each under gunicorn on the loopback
  address; ``up`` publishes a ``clouds.yaml`` in the lab's state (pdc.labcontract).
- ``provision``: creates through openstacksdk what the plan declares for the services that
  run (Keystone and Neutron). It is lab code, never a product command.

Nova, Cinder and Placement are not run (see the README: the live audit cannot see servers,
volumes, keypairs, server groups, or compute and volume quotas here).
"""
