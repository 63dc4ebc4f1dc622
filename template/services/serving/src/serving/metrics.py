"""Prometheus metrics of one app instance, in its own registry so several apps can coexist.

Every label has a bounded set of values: route templates, known HTTP methods (anything else
is ``other``), status codes, the predicted class and the one model being served.
"""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from serving.model import ModelHandle

PROBABILITY_BUCKETS = tuple(round(0.1 * step, 1) for step in range(1, 11))


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests by route template, method and status code",
            ("route", "method", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time to produce a response, by route template",
            ("route",),
            registry=self.registry,
        )
        self.churn_probability = Histogram(
            "churn_prediction_probability",
            "Predicted churn probabilities; a shifting distribution hints at drift",
            buckets=PROBABILITY_BUCKETS,
            registry=self.registry,
        )
        self.predictions = Counter(
            "churn_predictions_total",
            "Predictions served, by predicted class",
            ("churn",),
            registry=self.registry,
        )
        self.model_info = Gauge(
            "model_info",
            "1 for the model being served, labelled with its registry name and version",
            ("name", "version"),
            registry=self.registry,
        )
        self.model_loaded = Gauge(
            "model_loaded",
            "1 when a model is loaded and predictions can be served",
            registry=self.registry,
        )
        self.model_version = Gauge(
            "model_version",
            "Registry version of the model being served (0 while none is loaded)",
            registry=self.registry,
        )
        self.reload_failures = Counter(
            "model_reload_failures",
            "Champion versions that could not be read, verified or loaded",
            registry=self.registry,
        )

    def set_model(self, handle: ModelHandle | None) -> None:
        self.model_info.clear()
        if handle is not None:
            self.model_info.labels(name=handle.name, version=handle.version).set(1)
        self.model_loaded.set(1 if handle is not None else 0)
        version = handle.version if handle is not None else "0"
        self.model_version.set(int(version) if version.isdigit() else -1)
