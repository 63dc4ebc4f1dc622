"""``ingest`` command: land one day's raw customer batch in the lake and print its folder.

Exit codes (``contracts.cli.ExitCode``): 0 partition written; 2 bad arguments, invalid
configuration, unsupported or missing ``--source`` file; 3 source unreadable, corrupt or lacking
required columns; 4 lake not writable; 143/130 stopped by SIGTERM/SIGINT (staging removed, the
previous partition kept).
"""

import argparse
import logging
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa

from contracts import Settings, lineage
from contracts.cli import (
    EXIT_OK,
    CommandError,
    DataError,
    configure_logging,
    fraction,
    iso_date,
    load_settings,
    positive_int,
    run_command,
)
from ingestion.lake import JOB, write_raw_partition
from ingestion.sources import FileSource, Source, SourceError, SyntheticSource

PROG = "ingest"
logger = logging.getLogger("ingestion")


def build_parser(settings: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Write one raw customer batch to the lake partition of --date "
            "(synthetic by default, or read from --source) and print the partition folder."
        ),
    )
    parser.add_argument(
        "--date",
        type=iso_date,
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
        type=positive_int,
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
        type=fraction,
        default=0.0,
        help="0..1 shift of the distributions, to demo drift monitoring (default: 0)",
    )
    synthetic.add_argument(
        "--invalid-fraction",
        type=fraction,
        default=0.01,
        help="share of deliberately invalid rows for the quarantine to catch (default: 0.01)",
    )
    return parser


def _source(args: argparse.Namespace) -> Source:
    if args.source is not None:
        return FileSource(args.source)
    return SyntheticSource(
        n_rows=args.rows,
        seed=args.seed,
        drift=args.drift,
        invalid_fraction=args.invalid_fraction,
    )


def _ingest(argv: list[str] | None) -> int:
    # Settings first: they provide the defaults --help shows.
    settings = load_settings()
    args = build_parser(settings).parse_args(argv)
    configure_logging()

    started_at = datetime.now(UTC)
    day: date = args.date or started_at.date()
    try:
        source = _source(args)
    except SourceError as exc:
        raise CommandError(f"cannot ingest: {exc}") from exc
    inputs = [lineage.dataset(args.source.resolve())] if args.source is not None else []
    with lineage.run(
        JOB, inputs, settings=settings, parameters={"source": source.describe()}
    ) as run:
        try:
            frame = source.load()
        except FileNotFoundError as exc:
            raise CommandError(f"cannot ingest: {exc}") from exc
        except (OSError, ValueError, pa.ArrowException) as exc:
            # Unreadable or malformed input is a data problem: say why, no traceback.
            raise DataError(f"cannot ingest {source.describe()}: {exc}") from exc

        partition = write_raw_partition(frame, settings.raw_dir, day, source.describe())
        run.outputs.append(lineage.partition(partition))
        run.parameters.update(rows=len(frame), partition=partition.name)
    logger.info(
        "wrote %d rows from %s to %s; lineage run %s",
        len(frame),
        source.describe(),
        partition,
        run.run_id,
    )
    print(partition)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    return run_command(PROG, lambda: _ingest(argv))


if __name__ == "__main__":
    sys.exit(main())
