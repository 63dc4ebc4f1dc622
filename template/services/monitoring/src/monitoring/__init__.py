"""Monitoring of the served model: feature drift reports, alert rules and dashboards."""
