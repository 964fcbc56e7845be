"""The product's side of the cloud: read a live OpenStack cloud (any, through clouds.yaml), compare
it with the plan and judge it with the PDC-CLD controls. Read-only; never imports the lab."""
