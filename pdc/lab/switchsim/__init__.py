"""The emulated Cisco IOS switches of the lab: fake-switches plus a compatibility layer.

- ``grammar``: what each config mode accepts (strict: malformed lines get `% Invalid input`);
- ``store``: the running/startup config as a tree of verbatim lines with IOS replace/negate rules;
- ``processors``: exec and config modes on fake-switches' command-processing framework;
- ``device``: one switch (a fake-switches Cisco core) with its injected faults;
- ``ssh``: Twisted Conch transport, one factory per device, one host key;
- ``server``: the process that runs every switch of an environment.
"""
