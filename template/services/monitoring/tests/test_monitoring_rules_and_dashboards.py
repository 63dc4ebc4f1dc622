"""Alert rules, Prometheus config and the Grafana dashboard: valid, tested, and wired to real
metrics. A renamed metric in serving or the drift exporter must fail here, not in production."""

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contracts import Settings
from monitoring.metrics import (
    DRIFT_METRICS,
    HISTOGRAM_SUFFIXES,
    SCRAPE_METRICS,
    SERVING_METRICS,
)

SERVICE_DIR = Path(__file__).resolve().parents[1]
PROMETHEUS_DIR = SERVICE_DIR / "prometheus"
GRAFANA_DIR = SERVICE_DIR / "grafana"
DASHBOARD = GRAFANA_DIR / "dashboards" / "model-serving.json"
SERVING_SRC = SERVICE_DIR.parent / "serving" / "src" / "serving"
KNOWN_METRICS = set(SERVING_METRICS) | DRIFT_METRICS | SCRAPE_METRICS
# Labels a legend or grouping may use: target labels, histogram buckets, the drift feature.
KNOWN_LABELS = {"job", "instance", "le", "feature"}.union(*SERVING_METRICS.values())

PROMQL_KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool"}
    | {"offset", "inf", "nan"}
)

needs_promtool = pytest.mark.skipif(
    shutil.which("promtool") is None,
    reason="promtool not on PATH (Debian/Ubuntu: apt-get install prometheus)",
)


def metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression selects (a small lexer, not a full parser)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # label values
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # range selectors
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\$\w+", " ", text)  # Grafana variables
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", text):
        name, is_call = match.group(1), match.group(2)
        if is_call or name.lower() in PROMQL_KEYWORDS:
            continue
        names.add(name)
    return names


def base_metric(name: str) -> str:
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and name.removesuffix(suffix) in KNOWN_METRICS:
            return name.removesuffix(suffix)
    return name


def test_metric_name_lexer() -> None:
    expr = (
        "histogram_quantile(0.95, sum by (job, le) (rate(http_request_duration_seconds_bucket"
        '{job="serving", route!~"/metrics|/healthz"}[$__rate_interval]))) > 0.5 '
        "unless on (job) up == 0"
    )
    assert metric_names(expr) == {"http_request_duration_seconds_bucket", "up"}


def _rule_exprs() -> dict[str, str]:
    yaml = pytest.importorskip("yaml", reason="PyYAML comes with the dev dependencies")
    rules = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())
    return {rule["alert"]: rule["expr"] for group in rules["groups"] for rule in group["rules"]}


def test_every_alert_has_severity_for_and_runbook() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML comes with the dev dependencies")
    rules = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())
    alerts = [rule for group in rules["groups"] for rule in group["rules"]]
    assert {rule["alert"] for rule in alerts} >= {
        "ServingHighErrorRate",
        "ServingHighLatencyP95",
        "ServingTargetDown",
        "ModelNotLoaded",
        "FeatureDriftDetected",
    }
    for rule in alerts:
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert rule.get("for"), rule["alert"]
        assert {"summary", "description", "runbook"} <= set(rule["annotations"]), rule["alert"]
        anchor = rule["alert"].lower()
        assert f"README.md#{anchor}" in rule["annotations"]["runbook"], rule["alert"]
        assert f"### {rule['alert']}" in (SERVICE_DIR / "README.md").read_text(), rule["alert"]


def test_every_alert_is_unit_tested_firing_and_silent() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML comes with the dev dependencies")
    suite = yaml.safe_load((PROMETHEUS_DIR / "alerts.test.yml").read_text())
    cases = [case for test in suite["tests"] for case in test["alert_rule_test"]]
    for alert in _rule_exprs():
        outcomes = {bool(case["exp_alerts"]) for case in cases if case["alertname"] == alert}
        assert outcomes == {True, False}, f"{alert} needs a firing and a silent test case"


def test_alert_rules_use_only_exported_metrics() -> None:
    for alert, expr in _rule_exprs().items():
        unknown = {base_metric(name) for name in metric_names(expr)} - KNOWN_METRICS
        assert not unknown, f"{alert} uses metrics nobody exports: {sorted(unknown)}"


def _dashboard_targets() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [
        (panel["title"], target["expr"])
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]


def test_dashboard_is_provisionable() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"]
    assert dashboard["title"]
    titles = [panel["title"] for panel in dashboard["panels"] if panel["type"] != "row"]
    assert len(titles) == len(set(titles)), "panel titles must be unique"
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "prometheus", panel["title"]
            assert panel["targets"], panel["title"]
    datasource = (GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml").read_text()
    assert "uid: prometheus" in datasource


def test_dashboard_shows_what_operators_need() -> None:
    exprs = " ".join(expr for _, expr in _dashboard_targets())
    used = {base_metric(name) for name in metric_names(exprs)}
    assert used >= set(SERVING_METRICS) | {"model_feature_drift_psi"}
    for quantile in ("0.5", "0.95", "0.99"):
        assert f"histogram_quantile({quantile}," in exprs


def test_dashboard_legends_and_groupings_use_existing_labels() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            labels = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", target.get("legendFormat", "")))
            for grouping in re.findall(r"\bby\s*\(([^)]*)\)", target["expr"]):
                labels |= {label.strip() for label in grouping.split(",") if label.strip()}
            unknown = labels - KNOWN_LABELS
            assert not unknown, f"panel {panel['title']!r} uses unknown labels {sorted(unknown)}"


def test_dashboard_panels_use_only_exported_metrics() -> None:
    for title, expr in _dashboard_targets():
        names = metric_names(expr)
        assert names, f"panel {title!r} selects no metric: {expr}"
        unknown = {base_metric(name) for name in names} - KNOWN_METRICS
        assert not unknown, f"panel {title!r} uses metrics nobody exports: {sorted(unknown)}"


class _FixedModel:
    """Stands in for the champion: serving only needs P(churn) per row of its inputs."""

    def scores(self, inputs: Any) -> Any:
        import numpy as np

        return np.full(len(inputs["channel"]), 0.7)


def _scrape_serving(tmp_path: Path, request_prediction: Callable[..., Any]) -> str:
    """/metrics of the real serving app after a probe and one prediction."""
    app_module = pytest.importorskip("serving.app", reason="serving is not installed here")
    model_module = pytest.importorskip("serving.model", reason="serving is not installed here")
    testclient = pytest.importorskip("fastapi.testclient", reason="needs fastapi and httpx")
    api_key = "monitoring-contract-key-0123456789"  # pragma: allowlist secret
    settings = Settings(data_dir=tmp_path, environment="test", api_key=api_key)
    handle = model_module.ModelHandle(name="churn-classifier", version="3", model=_FixedModel())
    instance = {
        "tenure_months": 3,
        "monthly_spend": 12.5,
        "engagement_score": 0.1,
        "support_tickets": 4,
        "channel": "web",
        "region": "north",
    }
    app = app_module.create_app(settings, handle)
    with testclient.TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert request_prediction(client, [instance], api_key)[0] == 200
    # /metrics is served on its own port (APP_METRICS_PORT) by a separate ASGI app, which has no
    # lifespan: no `with`, so the test client does not send it lifespan events.
    metrics_client = testclient.TestClient(app_module.create_metrics_app(app))
    return metrics_client.get("/metrics").text


def test_serving_exposes_the_metrics_monitoring_relies_on(
    tmp_path: Path, request_prediction: Callable[..., Any]
) -> None:
    parser = pytest.importorskip("prometheus_client.parser", reason="needs prometheus-client")
    scraped = _scrape_serving(tmp_path, request_prediction)
    families = list(parser.text_string_to_metric_families(scraped))
    for name, labels in SERVING_METRICS.items():
        # The parser names counter families without their _total suffix.
        matches = [f for f in families if name in {f.name, f"{f.name}_total"}]
        assert matches, f"serving does not expose {name}"
        seen = {key for sample in matches[0].samples for key in sample.labels} - {"le"}
        assert seen == labels, (
            f"{name} has labels {sorted(seen)}, monitoring expects {sorted(labels)}"
        )


@needs_promtool
@pytest.mark.parametrize(
    "command",
    [
        pytest.param(("test", "rules", "alerts.test.yml"), id="alert-rules-unit-tests"),
        pytest.param(("check", "config", "prometheus.yml"), id="config-and-rules-valid"),
    ],
)
def test_promtool_accepts_the_prometheus_files(command: tuple[str, ...]) -> None:
    result = subprocess.run(
        ["promtool", *command],
        cwd=PROMETHEUS_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
