"""``ingest`` command: land one day's raw customer batch in the lake and print its folder."""

import argparse
import logging
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from contracts import Settings
from ingestion.lake import write_raw_partition
from ingestion.sources import FileSource, Source, SyntheticSource

logger = logging.getLogger("ingestion")


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


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected an integer, got {value!r}") from exc
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be positive, got {number}")
    return number


def build_parser(settings: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ingest",
        description=(
            "Write one raw customer batch to the lake partition of --date "
            "(synthetic by default, or read from --source) and print the partition folder."
        ),
    )
    parser.add_argument(
        "--date",
        type=_iso_date,
        default=None,
        help="partition date YYYY-MM-DD (default: today, UTC); an existing one is replaced",
    )
    parser.add_argument(
        "--source",
        type=Path,
        default=None,
        help="read this CSV or parquet file instead of generating data",
    )
    synthetic = parser.add_argument_group("synthetic data (ignored with --source)")
    synthetic.add_argument(
        "--rows",
        type=_positive_int,
        default=settings.n_rows,
        help="rows (default: %(default)s from APP_N_ROWS)",
    )
    synthetic.add_argument(
        "--seed",
        type=int,
        default=settings.seed,
        help="random seed (default: %(default)s from APP_SEED)",
    )
    synthetic.add_argument(
        "--drift",
        type=_fraction,
        default=0.0,
        help="0..1 shift of the distributions, to demo drift monitoring (default: 0)",
    )
    synthetic.add_argument(
        "--invalid-fraction",
        type=_fraction,
        default=0.01,
        help="share of deliberately invalid rows for the quarantine to catch (default: 0.01)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    args = build_parser(settings).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    day: date = args.date or datetime.now(UTC).date()
    source: Source
    try:
        if args.source is not None:
            source = FileSource(args.source)
        else:
            source = SyntheticSource(
                n_rows=args.rows,
                seed=args.seed,
                drift=args.drift,
                invalid_fraction=args.invalid_fraction,
            )
        frame = source.load()
    except (OSError, ValueError) as exc:
        # Unreadable, missing or malformed input is a user error: say why, no traceback.
        logger.error("cannot ingest: %s", exc)
        return 2

    partition = write_raw_partition(frame, settings.raw_dir, day, source.describe())
    logger.info("wrote %d rows from %s to %s", len(frame), source.describe(), partition)
    print(partition)
    return 0


if __name__ == "__main__":
    sys.exit(main())
