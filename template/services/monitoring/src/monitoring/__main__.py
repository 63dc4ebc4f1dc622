"""``drift-report``: PSI drift of the latest feature batch against the champion's training data.

Exit codes (``contracts.cli.ExitCode``): 0 no feature drifted; 1 drift detected; 2 bad arguments
or configuration; 3 input the report cannot be computed from (missing, corrupt, non-finite);
4 report not writable; 143/130 stopped by SIGTERM/SIGINT.
"""

import argparse
import sys
from pathlib import Path

import pandas as pd

from contracts import (
    CATEGORICAL_FEATURES,
    FEATURE_COLUMNS,
    NUMERIC_FEATURES,
    Settings,
    latest_partition,
    lineage,
)
from contracts.cli import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    CommandError,
    UnavailableError,
    configure_logging,
    load_settings,
    positive_float,
    run_command,
)
from contracts.storage import LakePath, lake_path, write_text_atomic
from monitoring.drift import (
    DriftReport,
    InputError,
    compute_drift,
    load_features,
    load_verified_reference,
)
from monitoring.psi import DEFAULT_BINS
from monitoring.report import READABLE, write_report
from monitoring.textfile import render

PROG = "drift-report"
EXIT_DRIFT = EXIT_CHECK_FAILED
CURRENT_FILE = "features.parquet"
JOB = "drift"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Population stability index (PSI) per feature between the champion's training "
            "features and a current batch. Exit 0: no drift, 1: drift, 2: bad arguments, "
            "3: bad input data."
        ),
    )
    parser.add_argument(
        "--reference",
        type=lake_path,
        help="Reference features parquet (default: the one of APP_MODEL_NAME's champion)",
    )
    parser.add_argument(
        "--current",
        type=lake_path,
        help="Current features parquet (default: the latest feature partition)",
    )
    parser.add_argument(
        "--threshold",
        type=positive_float,
        help="PSI above which a feature drifts (default: APP_DRIFT_THRESHOLD)",
    )
    parser.add_argument(
        "--bins", type=int, default=DEFAULT_BINS, help="Quantile bins for numeric features"
    )
    parser.add_argument(
        "--output-dir",
        type=lake_path,
        help="Where drift_report.json/.md go (default: APP_DATA_DIR/reports/drift)",
    )
    parser.add_argument(
        "--textfile",
        type=Path,
        help="Also write Prometheus gauges to this .prom file (node-exporter textfile format)",
    )
    return parser


def _current_path(settings: Settings, explicit: LakePath | None) -> LakePath:
    if explicit is not None:
        return explicit
    try:
        return latest_partition(settings.features_dir) / CURRENT_FILE
    except FileNotFoundError as exc:
        raise InputError(f"no current features: {exc}; run build-features first") from exc


def run(args: argparse.Namespace, settings: Settings) -> DriftReport:
    """Compute the report and write every requested output, inside one lineage run."""
    if args.bins < 2:
        raise CommandError("--bins must be at least 2")
    reference_path = args.reference or settings.reference_path
    columns = list(FEATURE_COLUMNS)
    with lineage.run(
        JOB,
        [lineage.dataset(reference_path.parent)],
        settings=settings,
        parameters={"bins": args.bins},
    ) as job:
        current_path = _current_path(settings, args.current)
        if args.reference is None:
            reference = load_verified_reference(reference_path, columns, settings.model_name)
        else:
            reference = load_features(reference_path, columns, "reference")
        current = load_features(current_path, columns, "current")
        job.inputs[:] = [
            lineage.dataset(path.parent, columns=_schema(frame), rows=len(frame))
            for path, frame in ((reference_path, reference), (current_path, current))
        ]
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
            outputs = list(write_report(report, args.output_dir or settings.reports_dir / "drift"))
            if args.textfile is not None:
                outputs.append(write_text_atomic(render(report), args.textfile, mode=READABLE))
        except OSError as exc:
            raise UnavailableError(f"cannot write the report: {exc}") from exc
        job.outputs += [lineage.dataset(path) for path in outputs]
        job.parameters.update(
            {
                "status": report.status,
                "threshold": report.threshold,
                "reference_rows": report.reference_rows,
                "current_rows": report.current_rows,
                "drifted_features": ",".join(report.drifted),
                **{f"psi.{item.feature}": item.psi for item in report.features},
            }
        )
    return report


def _schema(frame: pd.DataFrame) -> dict[str, str]:
    return {str(name): str(kind) for name, kind in frame.dtypes.items()}


def _report(args: argparse.Namespace) -> int:
    report = run(args, load_settings())
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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging()
    return run_command(PROG, lambda: _report(args))


if __name__ == "__main__":
    sys.exit(main())
