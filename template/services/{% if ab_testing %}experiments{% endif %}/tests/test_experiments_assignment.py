"""Assignment is a pure function of salt, experiment and customer, balanced by the weights."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from contracts.experiments import (
    DefinitionError,
    ExperimentDefinition,
    assign,
    assign_many,
    bucket,
    load_definition,
    parse_definition,
)
from experiments.stats import sample_ratio_check


def test_the_same_customer_always_gets_the_same_variant(definition: ExperimentDefinition) -> None:
    first = assign_many(definition, [f"c-{i}" for i in range(1_000)])
    assert assign_many(definition, [f"c-{i}" for i in range(1_000)]) == first


def test_assignment_is_stable_across_processes(
    definition: ExperimentDefinition, definition_text: str
) -> None:
    # Another interpreter with another hash seed: Python's hash() would differ, sha256 must not.
    code = (
        "from contracts.experiments import parse_definition, assign_many; "
        f"d = parse_definition({definition_text!r}); "
        "print(','.join(assign_many(d, [f'c-{i}' for i in range(200)])))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert other.stdout.strip().split(",") == assign_many(
        definition, [f"c-{i}" for i in range(200)]
    )


def test_known_buckets_do_not_change_between_releases() -> None:
    # Pinned values: a change to the hashing would silently move customers between variants.
    # sha256("salt-0001\x1fchurn-model\x1fc-1") starts 33b071f9a908b385; / 2**64 = 0.2019...
    assert bucket("salt-0001", "churn-model", "c-1") == 0x33B071F9A908B385 / 2**64
    assert bucket("salt-0001", "churn-model", "c-2") == 0x8EA96B7DE66C0374 / 2**64


def test_assignment_is_balanced_by_the_weights(definition: ExperimentDefinition) -> None:
    variants = assign_many(definition, [f"customer-{i}" for i in range(40_000)])
    counts = {name: variants.count(name) for name in definition.variant_names}
    assert sample_ratio_check(counts, definition.weights).passed
    assert abs(counts["challenger"] / 40_000 - 0.5) < 0.01


def test_uneven_weights_are_honoured(definition_text: str) -> None:
    text = definition_text.replace(
        "weight: 0.5, parameters: {model_alias: champion}",
        "weight: 0.9, parameters: {model_alias: champion}",
    ).replace(
        "weight: 0.5, parameters: {model_alias: challenger}",
        "weight: 0.1, parameters: {model_alias: challenger}",
    )
    definition = parse_definition(text)
    variants = assign_many(definition, [f"customer-{i}" for i in range(20_000)])
    assert abs(variants.count("challenger") / 20_000 - 0.1) < 0.01


def test_a_new_salt_reshuffles_customers(definition: ExperimentDefinition) -> None:
    other = definition.model_copy(update={"salt": "another-salt-99"})
    ids = [f"c-{i}" for i in range(2_000)]
    moved = sum(
        a != b for a, b in zip(assign_many(definition, ids), assign_many(other, ids), strict=True)
    )
    assert 800 < moved < 1_200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            (
                "weight: 0.5, parameters: {model_alias: challenger}",
                "weight: 0.6, parameters: {model_alias: challenger}",
            ),
            "weights must sum to 1",
        ),
        (("{name: challenger,", "{name: champion,"), "unique"),
        (("salt: test-salt-0001", "salt: '        '"), "salt"),
        (("salt: test-salt-0001\n", ""), "salt"),
        (("control: champion", "control: nobody"), "control"),
        (("name: churn-model", "name: Churn Model"), "name"),
    ],
)
def test_an_invalid_definition_is_refused_in_one_line(
    change: tuple[str, str], field: str, definition_text: str
) -> None:
    with pytest.raises(DefinitionError) as error:
        parse_definition(definition_text.replace(*change), "experiments/churn-model.yaml")
    message = str(error.value)
    assert "\n" not in message
    assert field in message
    assert message.startswith("experiments/churn-model.yaml: ")


def test_a_file_whose_name_differs_from_the_experiment_is_refused(
    tmp_path: Path, definition_text: str
) -> None:
    path = tmp_path / "other.yaml"
    path.write_text(definition_text)
    with pytest.raises(DefinitionError, match="differs from the file name"):
        load_definition(path)


def test_the_assigned_variant_is_one_of_the_definition(definition: ExperimentDefinition) -> None:
    assert assign(definition, "anyone") in definition.variant_names
