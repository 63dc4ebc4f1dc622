"""The analysis as JSON (for machines and dashboards) and Markdown (for people)."""

import json
from typing import Any

from contracts.storage import LakePath, write_text_atomic
from experiments.analysis import Analysis
from experiments.stats import Comparison

JSON_NAME = "report.json"
MARKDOWN_NAME = "report.md"
READABLE = 0o644
_SENTENCES = {
    "treatment_better": "the treatment beat control",
    "treatment_worse": "the treatment did worse than control",
    "inconclusive": "no significant difference from control",
    "invalid": "invalid: the sample ratio does not match the design, so no result can be trusted",
}


def _comparison(item: Comparison) -> dict[str, Any]:
    return {
        "metric": item.metric,
        "kind": item.kind,
        "test": item.test,
        "control": {"n": item.control_n, "mean": item.control_mean},
        "treatment": {"n": item.treatment_n, "mean": item.treatment_mean},
        "difference": item.difference,
        "relative_lift": item.relative_lift,
        "confidence_interval": [item.ci_low, item.ci_high],
        "statistic": item.statistic,
        "p_value": item.p_value,
    }


def to_dict(analysis: Analysis) -> dict[str, Any]:
    return {
        "experiment": analysis.experiment,
        "version": analysis.version,
        "generated_at": analysis.generated_at.isoformat(),
        "verdict": analysis.verdict,
        "alpha": analysis.alpha,
        "control": analysis.control,
        "primary_metric": analysis.primary_metric,
        "customers": analysis.customers,
        "mixed_customers": analysis.mixed_customers,
        "sample_ratio_mismatch": {
            "passed": analysis.srm.passed,
            "observed": analysis.srm.observed,
            "expected": analysis.srm.expected,
            "chi2": analysis.srm.chi2,
            "p_value": analysis.srm.p_value,
            "alpha": analysis.srm.alpha,
        },
        "treatments": {
            name: {
                "verdict": analysis.verdicts[name],
                "comparisons": [_comparison(item) for item in items],
            }
            for name, items in analysis.comparisons.items()
        },
    }


def to_markdown(analysis: Analysis) -> str:
    confidence = f"{(1 - analysis.alpha) * 100:g}%"
    srm = analysis.srm
    lines = [
        f"# Experiment report: {analysis.experiment} (version {analysis.version})",
        "",
        f"**Verdict: {analysis.verdict}** ({_SENTENCES[analysis.verdict]}; primary metric "
        f"`{analysis.primary_metric}`, alpha {analysis.alpha:g}).",
        "",
        f"- Generated: {analysis.generated_at.isoformat()}",
        f"- Customers analysed: {analysis.customers} (left out, seen in several variants: "
        f"{analysis.mixed_customers})",
        f"- Sample ratio check: {'passed' if srm.passed else '**FAILED**'} "
        f"(chi-square {srm.chi2:.2f}, p = {srm.p_value:.4g}, threshold {srm.alpha:g}); "
        + ", ".join(
            f"{name} {count} (expected {srm.expected[name]:.0f})"
            for name, count in srm.observed.items()
        ),
        "",
        f"| Treatment | Metric | Test | Control | Treatment | Difference | {confidence} CI "
        "| p-value | Verdict |",
        "| --- | --- | --- | ---: | ---: | ---: | --- | ---: | --- |",
    ]
    for name, items in analysis.comparisons.items():
        for item in items:
            verdict = analysis.verdicts[name] if item.metric == analysis.primary_metric else ""
            lines.append(
                f"| {name} | {item.metric} | {item.test} | {item.control_mean:.4f} "
                f"(n={item.control_n}) | {item.treatment_mean:.4f} (n={item.treatment_n}) "
                f"| {item.difference:+.4f} | [{item.ci_low:+.4f}, {item.ci_high:+.4f}] "
                f"| {item.p_value:.4g} | {verdict} |"
            )
    return "\n".join(lines) + "\n"


def write_report(analysis: Analysis, directory: LakePath) -> tuple[LakePath, LakePath]:
    """Write both files into ``directory``; returns (json path, markdown path)."""
    json_path = write_text_atomic(
        json.dumps(to_dict(analysis), indent=2) + "\n", directory / JSON_NAME, mode=READABLE
    )
    markdown_path = write_text_atomic(
        to_markdown(analysis), directory / MARKDOWN_NAME, mode=READABLE
    )
    return json_path, markdown_path
