"""A/B experiments: deterministic assignment, exposure and outcome logging, analysis reports."""
