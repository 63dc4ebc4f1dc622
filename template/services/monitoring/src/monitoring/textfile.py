"""Drift as Prometheus gauges in node-exporter's textfile-collector format.

node-exporter serves every ``*.prom`` file of its textfile directory; that is how the
batch drift report reaches Prometheus and the ``FeatureDriftDetected`` alert.
"""

import math

from monitoring.drift import DriftReport
from monitoring.metrics import DRIFT_PSI, DRIFT_THRESHOLD, DRIFT_TIMESTAMP


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def render(report: DriftReport) -> str:
    """Exposition text: one PSI gauge per feature, the threshold and the report time."""
    lines = [
        f"# HELP {DRIFT_PSI} Population stability index of a feature, current batch vs the "
        "champion's training data.",
        f"# TYPE {DRIFT_PSI} gauge",
    ]
    lines += [
        f'{DRIFT_PSI}{{feature="{_escape(item.feature)}"}} {_number(item.psi)}'
        for item in report.features
    ]
    lines += [
        f"# HELP {DRIFT_THRESHOLD} PSI above which a feature counts as drifted.",
        f"# TYPE {DRIFT_THRESHOLD} gauge",
        f"{DRIFT_THRESHOLD} {_number(report.threshold)}",
        f"# HELP {DRIFT_TIMESTAMP} Unix time the drift report was computed.",
        f"# TYPE {DRIFT_TIMESTAMP} gauge",
        f"{DRIFT_TIMESTAMP} {_number(report.generated_at.timestamp())}",
    ]
    return "\n".join(lines) + "\n"
