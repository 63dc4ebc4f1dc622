"""``experiments``: validate definitions, simulate events, analyse results, size experiments.

Exit codes (``contracts.cli.ExitCode``): 0 done (``analyse``: a valid report was written);
1 ``analyse`` wrote a report whose verdict is invalid (sample ratio mismatch); 2 bad arguments,
configuration or definition file; 3 no or corrupt event data; 4 output not writable;
143/130 stopped by SIGTERM/SIGINT.
"""

import argparse
import sys
from pathlib import Path

from contracts import Settings, lineage
from contracts.cli import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    CommandError,
    UnavailableError,
    configure_logging,
    load_settings,
    run_command,
)
from contracts.experiment_log import append_events, read_events
from contracts.experiments import DefinitionError, ExperimentDefinition, assign, load_definition
from contracts.storage import LakePath, lake_path
from experiments.analysis import analyse
from experiments.report import write_report
from experiments.simulate import SOURCE, Scenario, simulate
from experiments.stats import mean_mde, mean_sample_size, proportion_mde, proportion_sample_size

PROG = "experiments"


def _probability(text: str) -> float:
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not strictly between 0 and 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="A/B experiments: assignment, simulation, analysis, sample sizes."
    )
    parser.add_argument(
        "--experiment", help="Experiment name: its definition file (default: APP_EXPERIMENT_NAME)"
    )
    parser.add_argument(
        "--definition",
        type=Path,
        help="Definition file (default: APP_EXPERIMENTS_DEFINITIONS_DIR/<name>.yaml)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("validate", help="Check the definition file and print its variants")

    assign_cmd = commands.add_parser("assign", help="Print the variant of each customer id")
    assign_cmd.add_argument("customer_ids", nargs="+")

    sim = commands.add_parser("simulate", help="Write seeded synthetic exposures and outcomes")
    sim.add_argument("--customers", type=int, default=20_000)
    sim.add_argument("--seed", type=int, help="Random seed (default: APP_SEED)")
    sim.add_argument("--baseline-rate", type=_probability, default=0.20)
    sim.add_argument("--rate-uplift", type=float, default=0.03, help="Planted absolute uplift")
    sim.add_argument("--baseline-value", type=float, default=50.0)
    sim.add_argument("--value-uplift", type=float, default=2.0, help="Planted uplift of the mean")

    report = commands.add_parser("analyse", help="Write the markdown + JSON report")
    report.add_argument(
        "--output-dir", type=lake_path, help="Default: APP_DATA_DIR/reports/experiments/<name>"
    )

    size = commands.add_parser(
        "sample-size", help="Customers per variant for an uplift, or the uplift for a size"
    )
    what = size.add_mutually_exclusive_group(required=True)
    what.add_argument("--baseline", type=_probability, help="Control conversion rate")
    what.add_argument("--sd", type=float, help="Standard deviation of a continuous metric")
    size.add_argument("--mde", type=float, help="Absolute minimum detectable effect")
    size.add_argument("--per-variant", type=int, help="Customers per variant (gives the MDE)")
    size.add_argument("--alpha", type=_probability, default=0.05)
    size.add_argument("--power", type=_probability, default=0.8)
    return parser


def _definition(args: argparse.Namespace, settings: Settings) -> ExperimentDefinition:
    path = args.definition or (
        settings.experiments_definitions_dir / f"{args.experiment or settings.experiment_name}.yaml"
    )
    return load_definition(path)


def _validate(definition: ExperimentDefinition) -> int:
    arms = ", ".join(f"{variant.name} {variant.weight:g}" for variant in definition.variants)
    print(f"{definition.name} v{definition.version}: control {definition.control}; {arms}")
    return EXIT_OK


def _simulate(
    args: argparse.Namespace, settings: Settings, definition: ExperimentDefinition
) -> int:
    if args.customers < 2:
        raise CommandError("--customers must be at least 2")
    scenario = Scenario(
        customers=args.customers,
        seed=settings.seed if args.seed is None else args.seed,
        baseline_rate=args.baseline_rate,
        rate_uplift=args.rate_uplift,
        baseline_value=args.baseline_value,
        value_uplift=args.value_uplift,
    )
    exposures, outcomes = simulate(definition, scenario)
    zone = settings.experiments_dir
    new_exposures = append_events(zone, "exposures", exposures, source=SOURCE, day=scenario.start)
    new_outcomes = append_events(zone, "outcomes", outcomes, source=SOURCE, day=scenario.start)
    print(
        f"{definition.name}: {new_exposures} new exposures, {new_outcomes} new outcomes "
        f"({len(exposures) - new_exposures + len(outcomes) - new_outcomes} already logged)"
    )
    return EXIT_OK


def _analyse(args: argparse.Namespace, settings: Settings, definition: ExperimentDefinition) -> int:
    zone = settings.experiments_dir
    exposures = read_events(zone, "exposures", definition.name)
    outcomes = read_events(zone, "outcomes", definition.name)
    analysis = analyse(definition, exposures, outcomes)
    directory: LakePath = args.output_dir or settings.reports_dir / "experiments" / definition.name
    inputs = [lineage.dataset(zone / kind / definition.name) for kind in ("exposures", "outcomes")]
    parameters: dict[str, str | int | float | bool] = {
        "experiment": definition.name,
        "version": definition.version,
        "verdict": analysis.verdict,
        "customers": analysis.customers,
        "srm_p_value": analysis.srm.p_value,
    }
    try:
        with lineage.run(
            "experiments-analyse", inputs, settings=settings, parameters=parameters
        ) as run:
            outputs = write_report(analysis, directory)
            run.outputs += [lineage.dataset(path) for path in outputs]
    except OSError as exc:
        raise UnavailableError(f"cannot write the report: {exc}") from exc
    print(f"{definition.name}: verdict {analysis.verdict}; report in {outputs[1]}")
    return EXIT_CHECK_FAILED if analysis.verdict == "invalid" else EXIT_OK


def _sample_size(args: argparse.Namespace) -> int:
    if (args.mde is None) == (args.per_variant is None):
        raise CommandError("give exactly one of --mde (gives the size) or --per-variant (the MDE)")
    try:
        if args.mde is not None:
            if args.baseline is not None:
                n = proportion_sample_size(
                    args.baseline, args.mde, alpha=args.alpha, power=args.power
                )
            else:
                n = mean_sample_size(args.sd, args.mde, alpha=args.alpha, power=args.power)
            print(f"{n} customers per variant (alpha {args.alpha:g}, power {args.power:g})")
        else:
            if args.baseline is not None:
                mde = proportion_mde(
                    args.baseline, args.per_variant, alpha=args.alpha, power=args.power
                )
            else:
                mde = mean_mde(args.sd, args.per_variant, alpha=args.alpha, power=args.power)
            print(
                f"minimum detectable effect {mde:.6g} "
                f"(absolute; alpha {args.alpha:g}, power {args.power:g})"
            )
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    if args.command == "sample-size":
        return _sample_size(args)
    settings = load_settings()
    definition = _definition(args, settings)
    if args.command == "validate":
        return _validate(definition)
    if args.command == "assign":
        for customer_id in args.customer_ids:
            print(f"{customer_id}\t{assign(definition, customer_id)}")
        return EXIT_OK
    if args.command == "simulate":
        return _simulate(args, settings, definition)
    return _analyse(args, settings, definition)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging()
    return run_command(PROG, lambda: _run(args), expected=(DefinitionError,))


if __name__ == "__main__":
    sys.exit(main())
