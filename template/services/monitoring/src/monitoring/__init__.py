"""Monitoring of the churn model: feature drift reports, alert rules and dashboards."""
