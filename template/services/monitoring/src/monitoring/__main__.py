"""``drift-report``: PSI drift of the latest feature batch against the champion's training data.

Exit codes: 0 no feature drifted, 1 drift detected, 2 input the report cannot be computed from.
"""

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError

from contracts import (
    CATEGORICAL_FEATURES,
    FEATURE_COLUMNS,
    NUMERIC_FEATURES,
    Settings,
    get_settings,
    latest_partition,
)
from monitoring.drift import DriftReport, InputError, compute_drift, load_features
from monitoring.psi import DEFAULT_BINS
from monitoring.report import write_atomic, write_report
from monitoring.textfile import render

EXIT_OK = 0
EXIT_DRIFT = 1
EXIT_BAD_INPUT = 2
CURRENT_FILE = "features.parquet"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="drift-report",
        description=(
            "Population stability index (PSI) per feature between the champion's training "
            "features and a current batch. Exit 0: no drift, 1: drift, 2: bad input."
        ),
    )
    parser.add_argument(
        "--reference",
        type=Path,
        help="Reference features parquet (default: APP_DATA_DIR/lake/reference/...)",
    )
    parser.add_argument(
        "--current",
        type=Path,
        help="Current features parquet (default: the latest feature partition)",
    )
    parser.add_argument(
        "--threshold",
        type=_positive_float,
        help="PSI above which a feature drifts (default: APP_DRIFT_THRESHOLD)",
    )
    parser.add_argument(
        "--bins", type=int, default=DEFAULT_BINS, help="Quantile bins for numeric features"
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        help="Where drift_report.json/.md go (default: APP_DATA_DIR/reports/drift)",
    )
    parser.add_argument(
        "--textfile",
        type=Path,
        help="Also write Prometheus gauges to this .prom file (node-exporter textfile format)",
    )
    return parser


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0: {text}")
    return value


def _current_path(settings: Settings, explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    try:
        return latest_partition(settings.features_dir) / CURRENT_FILE
    except FileNotFoundError as exc:
        raise InputError(f"no current features: {exc}; run build-features first") from exc


def run(args: argparse.Namespace, settings: Settings) -> DriftReport:
    """Compute the report and write every requested output."""
    if args.bins < 2:
        raise InputError("--bins must be at least 2")
    reference_path = args.reference or settings.reference_path
    current_path = _current_path(settings, args.current)
    reference = load_features(reference_path, FEATURE_COLUMNS, "reference")
    current = load_features(current_path, FEATURE_COLUMNS, "current")
    report = compute_drift(
        reference,
        current,
        numeric=[name for name in FEATURE_COLUMNS if name in NUMERIC_FEATURES],
        categorical=[name for name in FEATURE_COLUMNS if name in CATEGORICAL_FEATURES],
        threshold=args.threshold or settings.drift_threshold,
        reference_path=reference_path,
        current_path=current_path,
        bins=args.bins,
    )
    try:
        write_report(report, args.output_dir or settings.reports_dir / "drift")
        if args.textfile is not None:
            write_atomic(args.textfile, render(report))
    except OSError as exc:
        raise InputError(f"cannot write the report: {exc}") from exc
    return report


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        report = run(args, get_settings())
    except ValidationError as exc:
        first = exc.errors()[0]
        print(f"drift-report: error: invalid settings: {first['msg']}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except InputError as exc:
        print(f"drift-report: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if report.drifted:
        scores = ", ".join(
            f"{item.feature} (PSI {item.psi:.3f})"
            for item in report.features
            if item.status == "drift"
        )
        print(f"drift detected (PSI threshold {report.threshold:g}): {scores}")
        return EXIT_DRIFT
    worst = max(report.features, key=lambda item: item.psi)
    print(
        f"no drift: {len(report.features)} features within PSI {report.threshold:g} "
        f"(highest {worst.feature} {worst.psi:.3f})"
    )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
