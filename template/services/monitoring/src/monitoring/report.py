"""Writes a drift report as JSON (for machines) and Markdown (for people)."""

import json
from pathlib import Path
from typing import Any

from contracts.storage import write_text_atomic
from monitoring.drift import DriftReport

JSON_NAME = "drift_report.json"
MARKDOWN_NAME = "drift_report.md"
# Reports and textfiles are read by other users (dashboards, node-exporter), whatever the umask.
READABLE = 0o644


def to_dict(report: DriftReport) -> dict[str, Any]:
    return {
        "generated_at": report.generated_at.isoformat(),
        "status": report.status,
        "threshold": report.threshold,
        "drifted_features": report.drifted,
        "reference": {"path": report.reference_path, "rows": report.reference_rows},
        "current": {"path": report.current_path, "rows": report.current_rows},
        "method": {"statistic": "psi", "bins": report.bins, "epsilon": report.epsilon},
        "features": [
            {
                "feature": item.feature,
                "kind": item.kind,
                "psi": round(item.psi, 6),
                "status": item.status,
            }
            for item in report.features
        ],
    }


def to_markdown(report: DriftReport) -> str:
    verdict = (
        f"**Drift detected** in {', '.join(report.drifted)}"
        if report.drifted
        else "No feature drifted"
    )
    lines = [
        "# Feature drift report",
        "",
        f"{verdict} (PSI threshold {report.threshold:g}).",
        "",
        f"- Generated: {report.generated_at.isoformat()}",
        f"- Reference: `{report.reference_path}` ({report.reference_rows} rows)",
        f"- Current: `{report.current_path}` ({report.current_rows} rows)",
        "",
        "| Feature | Kind | PSI | Status |",
        "| --- | --- | ---: | --- |",
    ]
    lines += [
        f"| {item.feature} | {item.kind} | {item.psi:.4f} | {item.status} |"
        for item in sorted(report.features, key=lambda item: item.psi, reverse=True)
    ]
    return "\n".join(lines) + "\n"


def write_report(report: DriftReport, directory: Path) -> tuple[Path, Path]:
    """Write both report files into ``directory``; returns (json path, markdown path)."""
    json_path = write_text_atomic(
        json.dumps(to_dict(report), indent=2) + "\n", directory / JSON_NAME, mode=READABLE
    )
    markdown_path = write_text_atomic(to_markdown(report), directory / MARKDOWN_NAME, mode=READABLE)
    return json_path, markdown_path
