from __future__ import annotations

from pathlib import Path

import pytest

from aiarch_scaffold.errors import ScaffoldError
from aiarch_scaffold.questions import computed_names, load_config, load_questions, question_names


def test_questions_come_from_copier_yml_in_order() -> None:
    names = question_names()
    # The use case first: the default name and description follow from it.
    assert names[:5] == ["use_case", "project_name", "project_slug", "description", "organisation"]
    assert not any(name.startswith("_") for name in names)


def test_every_question_has_help_and_a_default() -> None:
    for question in load_questions():
        assert question.help, question.name
        assert question.default is not None, question.name
        if question.is_choice:
            assert question.default in question.values, question.name


def test_choice_labels_map_to_values() -> None:
    use_case = {q.name: q for q in load_questions()}["use_case"]
    assert use_case.values == ["churn", "clv", "segmentation", "pricing", "recommendation"]
    assert use_case.choices["Customer churn prediction"] == "churn"
    assert (
        use_case.choices["Customer lifetime value (revenue of the next 12 months; regression)"]
        == "clv"
    )
    assert (
        use_case.choices["Customer segmentation (clustering with named segment profiles)"]
        == "segmentation"
    )
    assert (
        use_case.choices[
            "Dynamic pricing (demand / price-elasticity model and a guard-railed price optimiser)"
        ]
        == "pricing"
    )
    assert (
        use_case.choices["Recommendation (top-k items per customer from an interactions table)"]
        == "recommendation"
    )


def test_broken_copier_yml_is_a_one_line_error(template_copy: Path) -> None:
    (template_copy / "copier.yml").write_text("project_name: [unclosed\n")
    with pytest.raises(ScaffoldError) as info:
        load_questions(template_copy)
    assert "\n" not in info.value.message


COMPUTED = {"has_cloud", "use_terraform", "use_cloudformation", "on_kubernetes", "on_containers"}


def test_computed_values_are_not_questions() -> None:
    config = load_config()
    assert set(computed_names(config)) >= COMPUTED
    assert not COMPUTED & set(question_names())
    for name in computed_names(config):
        # Typed (a condition is a real bool, a name a str); never asked, so copier records nothing.
        assert config[name]["type"] in {"bool", "str"}, name
        assert config[name]["when"] is False, name


def test_a_computed_value_reads_only_earlier_answers() -> None:
    config = load_config()
    names = [name for name in config if not name.startswith("_")]
    for name in computed_names(config):
        later = names[names.index(name) + 1 :]
        assert not any(other in str(config[name]["default"]) for other in later), name
