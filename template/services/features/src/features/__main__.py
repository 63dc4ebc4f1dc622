"""``build-features`` command: raw partition -> validated feature table + quarantine + lineage.

Exit codes (``contracts.cli.ExitCode``): 0 features written; 1 too many rows rejected
(quarantine written, no features); 2 bad arguments or configuration; 3 unusable input (no
partition, checksum mismatch, corrupt file, empty batch); 4 output not writable; 143/130 stopped
by SIGTERM/SIGINT (staging removed, the previous partition kept).
"""

import argparse
import logging
import sys

from contracts.cli import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    configure_logging,
    fraction,
    iso_date,
    load_settings,
    run_command,
)
from features.pipeline import build_features

PROG = "build-features"
EXIT_TOO_MANY_REJECTS = EXIT_CHECK_FAILED
logger = logging.getLogger("features")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Verify and validate one raw partition, quarantine invalid rows with their reason, "
            "write the feature table and a lineage record. Exit 1 when too many rows are "
            "rejected, 2 on bad arguments, 3 when the input is unusable."
        ),
    )
    parser.add_argument(
        "--date",
        type=iso_date,
        default=None,
        help="raw partition date YYYY-MM-DD (default: the newest partition)",
    )
    parser.add_argument(
        "--max-reject-fraction",
        type=fraction,
        default=0.05,
        help="fail the run when a larger share of rows is invalid (default: %(default)s)",
    )
    return parser


def _build(args: argparse.Namespace) -> int:
    report = build_features(load_settings(), args.date, args.max_reject_fraction)
    logger.info(
        "%s: %d rows in, %d valid, %d rejected; lineage run %s",
        report.day.isoformat(),
        report.rows_in,
        report.rows_valid,
        report.rows_rejected,
        report.lineage_run_id,
    )
    if not report.accepted:
        return EXIT_TOO_MANY_REJECTS
    print(report.features_path)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging()
    return run_command(PROG, lambda: _build(args))


if __name__ == "__main__":
    sys.exit(main())
