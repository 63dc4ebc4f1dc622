from __future__ import annotations

from pathlib import Path

import pytest

from aiarch_scaffold import answers
from aiarch_scaffold.errors import UsageError
from aiarch_scaffold.questions import load_questions


def test_data_pairs_keep_equals_in_values() -> None:
    assert answers.parse_data_pairs(["a=b=c", "d="]) == {"a": "b=c", "d": ""}


@pytest.mark.parametrize("pair", ["novalue", "=x", " =x"])
def test_malformed_data_pairs_are_rejected(pair: str) -> None:
    with pytest.raises(UsageError, match="KEY=VALUE"):
        answers.parse_data_pairs([pair])


def test_answers_file_ignores_copier_metadata(tmp_path: Path) -> None:
    path = tmp_path / "answers.yml"
    path.write_text("_commit: v1\n_src_path: x\nproject_name: Demo\n")
    assert answers.load_answers_file(path) == {"project_name": "Demo"}


@pytest.mark.parametrize(
    ("text", "message"),
    [("project_name: [oops\n", "not valid YAML"), ("- a\n- b\n", "must be a mapping")],
)
def test_malformed_answers_files_are_rejected(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "answers.yml"
    path.write_text(text)
    with pytest.raises(UsageError, match=message):
        answers.load_answers_file(path)


def test_missing_answers_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read answers file"):
        answers.load_answers_file(tmp_path / "absent.yml")


def test_unknown_question_names_the_known_ones() -> None:
    with pytest.raises(UsageError, match=r"unknown question 'projectname'.*project_name"):
        answers.check_known({"projectname": "x"}, load_questions())


def test_unknown_choice_names_the_allowed_values() -> None:
    with pytest.raises(UsageError, match="allowed: churn"):
        answers.check_choices({"use_case": "fraud"}, load_questions())


@pytest.mark.parametrize("value", ["{{ 7*7 }}", "{% raw %}", "$(id)", "`id`", "a\nb", "${HOME}"])
def test_template_and_shell_syntax_is_refused(value: str) -> None:
    with pytest.raises(UsageError):
        answers.check_plain_text({"description": value})


def test_computed_values_are_refused_by_update_before_anything_else(tmp_path: Path) -> None:
    from aiarch_scaffold.update import update_project

    with pytest.raises(UsageError, match=r"^'has_cloud' is computed from other answers"):
        update_project(tmp_path, defaults=True, data={"has_cloud": "false"})
