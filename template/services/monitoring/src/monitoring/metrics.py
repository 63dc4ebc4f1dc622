"""Metric names shared by the drift textfile, the alert rules and the Grafana dashboard.

Serving exposes the request and model metrics; the drift report exports the drift gauges
through node-exporter's textfile collector. Tests check every rule and panel against these,
and these against a live scrape of serving's /metrics.
"""

# Name -> label names (besides job/instance and the histogram's le) that rules and panels use.
SERVING_METRICS: dict[str, frozenset[str]] = {
    "http_requests_total": frozenset({"route", "method", "status"}),
    "http_request_duration_seconds": frozenset({"route"}),
    "churn_prediction_probability": frozenset(),
    "churn_predictions_total": frozenset({"churn"}),
    "model_info": frozenset({"name", "version"}),
    "model_loaded": frozenset(),
}

DRIFT_PSI = "model_feature_drift_psi"
DRIFT_THRESHOLD = "model_feature_drift_threshold"
DRIFT_TIMESTAMP = "model_drift_report_timestamp_seconds"
DRIFT_METRICS: frozenset[str] = frozenset({DRIFT_PSI, DRIFT_THRESHOLD, DRIFT_TIMESTAMP})

# Series Prometheus itself adds to every scrape target.
SCRAPE_METRICS: frozenset[str] = frozenset({"up"})

HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")
