"""CrossGuard policy pack: `pulumi preview --policy-pack stacks/policy`.

PolicyPack(...) starts the analyzer's gRPC server and blocks, so it lives only
here; `pdc plan` imports the policy objects from pdc_policies instead. The cloud
facts (encrypted volume types, flavor sizes) come from the environment named by
PDC_ENV (the Makefile sets it from STACK), or from `--policy-pack-config`.
"""

import os

from pdc_policies import MANDATORY, POLICIES, config_for
from pulumi_policy import PolicyPack

initial_config = None
if os.environ.get("PDC_ENV"):
    from pdc.environment import load_environment

    initial_config = config_for(load_environment(os.environ["PDC_ENV"]))

PolicyPack(name="pdc-tenant-levels", enforcement_level=MANDATORY, policies=POLICIES,
           initial_config=initial_config)
