"""Test helpers for the lab tiers: session fixtures, a private lab copy, a playbook runner."""
