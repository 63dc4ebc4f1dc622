"""Prometheus metrics of one app instance, in its own registry so several apps can coexist.

Every label has a bounded set of values: route templates, known HTTP methods (anything else
is ``other``), status codes, the predicted class and the one model being served. Label
children are bound once and reused, so a request costs no label lookups.

With several worker processes (``APP_WORKERS``), ``serve`` sets ``PROMETHEUS_MULTIPROC_DIR``
for its workers: each writes its values to files in that folder, and the one /metrics endpoint
(in the supervising process, ``serving.__main__.multiprocess_metrics_app``) adds them up.
Gauges say how: ``model_loaded`` and ``model_version`` report the least advanced worker,
``model_loaded_workers`` how many live workers have a model (a worker that has not started
yet writes no file, so the least of the others can read 1 before every worker is up), and
``model_info`` every version some worker serves.
"""

import os

import numpy as np
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
            multiprocess_mode="livemax",
        )
        self.model_loaded = Gauge(
            "model_loaded",
            "1 when a model is loaded and predictions can be served",
            registry=self.registry,
            multiprocess_mode="livemin",
        )
        self.model_loaded_workers = Gauge(
            "model_loaded_workers",
            "Worker processes with a model loaded (1 at most without APP_WORKERS)",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.model_version = Gauge(
            "model_version",
            "Registry version of the model being served (0 while none is loaded)",
            registry=self.registry,
            multiprocess_mode="livemin",
        )
        self.reload_failures = Counter(
            "model_reload_failures",
            "Champion versions that could not be read, verified or loaded",
            registry=self.registry,
        )

        self.predicted = {
            True: self.predictions.labels(churn="true"),
            False: self.predictions.labels(churn="false"),
        }
        self._probability_bounds = np.asarray(self.churn_probability._upper_bounds)
        self._served: tuple[str, str] | None = None
        self._request_children: dict[tuple[str, str, str], Counter] = {}
        self._latency_children: dict[str, Histogram] = {}

    def request_counter(self, route: str, method: str, status: str) -> Counter:
        key = (route, method, status)
        child = self._request_children.get(key)
        if child is None:
            child = self._request_children[key] = self.requests.labels(*key)
        return child

    def latency_histogram(self, route: str) -> Histogram:
        child = self._latency_children.get(route)
        if child is None:
            child = self._latency_children[route] = self.latency.labels(route)
        return child

    def observe_predictions(self, probabilities: np.ndarray, churn: np.ndarray) -> None:
        """Record a batch: the same counts as one ``observe`` and ``inc`` per row, in a few
        vectorised steps."""
        positives = int(np.count_nonzero(churn))
        if positives:
            self.predicted[True].inc(positives)
        if positives < len(churn):
            self.predicted[False].inc(len(churn) - positives)
        observe_many(self.churn_probability, probabilities, self._probability_bounds)

    def set_model(self, handle: ModelHandle | None) -> None:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            # Children cannot be removed in multiprocess mode (their last value lives on in
            # this worker's file): the previous version is reset to 0 instead.
            if self._served is not None:
                self.model_info.labels(*self._served).set(0)
        else:
            self.model_info.clear()
        self._served = None if handle is None else (handle.name, handle.version)
        if handle is not None:
            self.model_info.labels(name=handle.name, version=handle.version).set(1)
        self.model_loaded.set(1 if handle is not None else 0)
        self.model_loaded_workers.set(1 if handle is not None else 0)
        version = handle.version if handle is not None else "0"
        self.model_version.set(int(version) if version.isdigit() else -1)


def observe_many(histogram: Histogram, values: np.ndarray, bounds: np.ndarray) -> None:
    """``histogram.observe(value)`` for each of ``values``, one increment per bucket hit.

    Uses the histogram's bucket values as prometheus_client lays them out (non-cumulative
    counts per upper bound, plus the sum); a test checks the result equals per-value
    ``observe`` calls, so a change of that layout fails loudly.
    """
    if not len(values):
        return
    counts = np.bincount(np.searchsorted(bounds, values, side="left"), minlength=len(bounds))
    buckets = histogram._buckets  # type: ignore[attr-defined]
    for index in np.flatnonzero(counts).tolist():
        buckets[index].inc(int(counts[index]))
    histogram._sum.inc(float(np.sum(values)))  # type: ignore[attr-defined]
