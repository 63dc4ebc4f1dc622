from __future__ import annotations

from pathlib import Path

import pytest

from aiarch_scaffold.errors import ScaffoldError
from aiarch_scaffold.questions import load_questions, question_names


def test_questions_come_from_copier_yml_in_order() -> None:
    names = question_names()
    assert names[:4] == ["project_name", "project_slug", "description", "organisation"]
    assert not any(name.startswith("_") for name in names)


def test_every_question_has_help_and_a_default() -> None:
    for question in load_questions():
        assert question.help, question.name
        assert question.default is not None, question.name
        if question.is_choice:
            assert question.default in question.values, question.name


def test_choice_labels_map_to_values() -> None:
    use_case = {q.name: q for q in load_questions()}["use_case"]
    assert use_case.values == ["churn"]
    assert "Customer churn prediction" in use_case.choices


def test_broken_copier_yml_is_a_one_line_error(template_copy: Path) -> None:
    (template_copy / "copier.yml").write_text("project_name: [unclosed\n")
    with pytest.raises(ScaffoldError) as info:
        load_questions(template_copy)
    assert "\n" not in info.value.message
