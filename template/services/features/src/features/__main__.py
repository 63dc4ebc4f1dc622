"""``build-features`` command: raw partition -> validated feature table + quarantine + lineage.

Exit codes: 0 features written; 1 too many rows rejected (quarantine written, no features);
2 unusable input (no partition, checksum mismatch, empty batch) or bad arguments.
"""

import argparse
import logging
import sys
from datetime import date

from contracts import Settings
from features.pipeline import InputError, build_features
from features.storage import IntegrityError

logger = logging.getLogger("features")

EXIT_OK = 0
EXIT_TOO_MANY_REJECTS = 1
EXIT_BAD_INPUT = 2


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {value!r}") from exc


def _fraction(value: str) -> float:
    try:
        number = float(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from exc
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError(f"must be within [0, 1], got {number}")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="build-features",
        description=(
            "Verify and validate one raw partition, quarantine invalid rows with their reason, "
            "write the feature table and a lineage record. Exit 1 when too many rows are "
            "rejected, 2 when the input is unusable."
        ),
    )
    parser.add_argument(
        "--date",
        type=_iso_date,
        default=None,
        help="raw partition date YYYY-MM-DD (default: the newest partition)",
    )
    parser.add_argument(
        "--max-reject-fraction",
        type=_fraction,
        default=0.05,
        help="fail the run when a larger share of rows is invalid (default: %(default)s)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings()
    try:
        report = build_features(settings, args.date, args.max_reject_fraction)
    except (InputError, IntegrityError) as exc:
        logger.error("cannot build features: %s", exc)
        return EXIT_BAD_INPUT
    logger.info(
        "%s: %d rows in, %d valid, %d rejected; lineage %s",
        report.day.isoformat(),
        report.rows_in,
        report.rows_valid,
        report.rows_rejected,
        report.lineage_path,
    )
    if not report.accepted:
        return EXIT_TOO_MANY_REJECTS
    print(report.features_path)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
