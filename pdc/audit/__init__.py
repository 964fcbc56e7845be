"""The compliance audit: run tests/compliance (pytest-testinfra) against an environment's hosts,
apply waivers, and write JUnit, JSON and HTML reports from one result model."""
