"""``train``: fit, evaluate and register the model; promote it if the gate passes.

Exit codes (``contracts.cli.ExitCode``): 0 trained (and promoted, or gate failure allowed);
1 quality gate failed; 2 bad arguments or configuration; 3 unusable features (missing, corrupt,
non-finite, checksum or lineage mismatch); 4 output or registry unavailable; 143/130 stopped by
SIGTERM/SIGINT (MLflow run FAILED, nothing registered or promoted half-way).
"""

import argparse
import sys

from contracts.cli import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    NOISY_LOGGERS,
    configure_logging,
    load_settings,
    non_negative_float,
    open_fraction,
    report_error,
    run_command,
)
from contracts.storage import lake_path
from training.model import DEFAULT_MODEL_KIND, MODEL_KINDS, ModelKind
from training.trainer import TrainingOptions, TrainingResult, train

PROG = "train"
EXIT_GATE_FAILED = EXIT_CHECK_FAILED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Train the model on the latest feature partition, log it to MLflow, register "
            "a new version and move the 'champion' alias to it if the quality gate passes. "
            "Configuration comes from APP_* environment variables (see contracts.Settings)."
        ),
    )
    parser.add_argument(
        "--features",
        type=lake_path,
        default=None,
        help=(
            "feature partition folder, or the parquet file in one; its manifest and lineage "
            "are verified (default: newest partition)"
        ),
    )
    parser.add_argument(
        "--model",
        choices=MODEL_KINDS,
        default=DEFAULT_MODEL_KIND,
        help="classifier (default: %(default)s)",
    )
    parser.add_argument(
        "--test-size",
        type=open_fraction,
        default=0.2,
        help="held-out share for evaluation (default: %(default)s)",
    )
    parser.add_argument(
        "--max-regression",
        type=non_negative_float,
        default=0.01,
        help="how much worse than the champion the gate metric may be (default: %(default)s)",
    )
    parser.add_argument(
        "--allow-gate-failure",
        action="store_true",
        help="exit 0 even if the quality gate fails (experiments; the alias still does not move)",
    )
    return parser


def _summary(result: TrainingResult) -> str:
    metrics = " ".join(f"{name}={value:.4f}" for name, value in result.metrics.items())
    lines = [
        f"trained {result.model_name} version {result.version} (run {result.run_id})",
        f"  features: {result.features_path}",
        f"  metrics:  {metrics}",
    ]
    if result.decision.promote:
        lines.append(f"  quality gate PASSED: {result.decision.reason}")
        lines.append(f"  promoted: version {result.version} is now the champion")
        lines.append(f"  drift reference: {result.reference_path}")
    else:
        lines.append(f"  quality gate FAILED: {result.decision.reason}")
        lines.append("  not promoted: the champion alias did not move")
    lines.append(f"  lineage run: {result.lineage_run_id}")
    return "\n".join(lines)


def _train(args: argparse.Namespace) -> int:
    model_kind: ModelKind = args.model
    options = TrainingOptions(
        model_kind=model_kind,
        features_path=args.features,
        test_size=args.test_size,
        max_regression=args.max_regression,
    )
    result = train(load_settings(), options)

    print(_summary(result))
    if result.decision.promote:
        return EXIT_OK
    if args.allow_gate_failure:
        print("gate failure allowed (--allow-gate-failure): exiting 0", file=sys.stderr)
        return EXIT_OK
    report_error(
        PROG, f"model version {result.version} failed the quality gate and was not promoted"
    )
    return EXIT_GATE_FAILED


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(quiet=NOISY_LOGGERS)
    return run_command(PROG, lambda: _train(args))


if __name__ == "__main__":
    sys.exit(main())
