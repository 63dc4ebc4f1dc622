"""Pins the copier internals the kit relies on (see copier_adapter's docstring).

A tiny template of its own, so each test names one behaviour: a copier upgrade that changes
one of them fails here, by name, rather than somewhere in `aiarch new` or `aiarch matrix`.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aiarch_scaffold import copier_adapter

COPIER_YML = """\
_subdirectory: template
name:
  type: str
  default: My Thing
slug:
  type: str
  default: "{{ name | lower | replace(' ', '_') }}"
  validator: "{% if slug | length > 8 %}slug is longer than 8{% endif %}"
cloud:
  type: str
  choices: [local, aws]
  default: local
region:
  type: str
  when: "{{ cloud != 'local' }}"
  default: eu
  validator: "{% if region == 'mars' %}no region on mars{% endif %}"
is_cloud:
  type: bool
  when: false
  default: "{{ cloud != 'local' }}"
"""


@pytest.fixture()
def template(tmp_path: Path) -> Path:
    root = tmp_path / "tpl"
    (root / "template").mkdir(parents=True)
    (root / "copier.yml").write_text(COPIER_YML)
    (root / "template" / "{{ slug }}.txt.jinja").write_text("{{ name }} {{ is_cloud }}\n")
    (root / "template" / "{{ _copier_conf.answers_file }}.jinja").write_text(
        "{{ _copier_answers | to_nice_yaml }}"
    )
    return root


@contextlib.contextmanager
def worker(template: Path, dst: Path | None = None, **kwargs: Any) -> Iterator[Any]:
    with (
        contextlib.redirect_stderr(io.StringIO()),
        copier_adapter.open_worker(template, dst_path=dst, **kwargs) as opened,
    ):
        yield opened


def test_questions_data_is_raw_and_in_declaration_order(template: Path) -> None:
    with worker(template) as w:
        data = copier_adapter.questions_data(w)
    assert list(data) == ["name", "slug", "cloud", "region", "is_cloud"]
    assert data["slug"]["default"] == "{{ name | lower | replace(' ', '_') }}"


def test_evaluate_renders_defaults_from_earlier_answers(template: Path) -> None:
    with worker(template) as w:
        evaluation = copier_adapter.evaluate(w, {})
        renamed = copier_adapter.evaluate(w, {"name": "Other"})
    assert evaluation.valid and evaluation.error is None
    assert evaluation.values == {"name": "My Thing", "slug": "my_thing", "cloud": "local"}
    assert renamed.values["slug"] == "other"


def test_evaluate_hides_questions_whose_when_is_false(template: Path) -> None:
    with worker(template) as w:
        local = copier_adapter.evaluate(w, {"cloud": "local"})
        aws = copier_adapter.evaluate(w, {"cloud": "aws"})
    assert local.hidden == {"region", "is_cloud"}
    assert aws.hidden == {"is_cloud"}
    assert aws.values["region"] == "eu"


def test_evaluate_reports_validator_and_choice_failures(template: Path) -> None:
    with worker(template) as w:
        too_long = copier_adapter.evaluate(w, {"slug": "much_too_long"})
        bad_choice = copier_adapter.evaluate(w, {"cloud": "azure"})
        on_mars = copier_adapter.evaluate(w, {"cloud": "aws", "region": "mars"})
        hidden_mars = copier_adapter.evaluate(w, {"cloud": "local", "region": "mars"})
    assert not too_long.valid
    assert copier_adapter.validation_message(ValueError(too_long.error)) == (
        "slug",
        "slug is longer than 8",
    )
    assert not bad_choice.valid and "azure" in str(bad_choice.error)
    assert not on_mars.valid
    assert hidden_mars.valid  # a hidden question's answer is not validated


ROWS: list[dict[str, Any]] = [
    {},
    {"name": "Other"},
    {"name": "A much longer name"},
    {"slug": "much_too_long"},
    {"cloud": "azure"},
    {"cloud": "aws"},
    {"cloud": "aws", "region": "mars"},
    {"cloud": "local", "region": "mars"},
    {"cloud": "aws", "name": "Other", "region": "us"},
]


def test_memoized_evaluation_equals_rendering_every_question(template: Path) -> None:
    with worker(template) as w:
        plain = [copier_adapter.evaluate(w, row) for row in ROWS]
        memo = copier_adapter.QuestionMemo(w)
        # Twice through, so the second pass answers from the memo alone.
        memoized = [copier_adapter.evaluate(w, row, memo) for row in ROWS + ROWS]
    assert memoized == plain + plain
    assert memo.reads["slug"] == ("name", "slug")
    assert memo.reads["region"] == ("cloud", "region")


def test_memo_tells_apart_rows_that_differ_only_in_what_a_default_reads(template: Path) -> None:
    """slug's default reads name: a memo keyed on slug's own value alone would answer 'other'
    for both rows below, and miss that the second slug is too long."""
    with worker(template) as w:
        memo = copier_adapter.QuestionMemo(w)
        short = copier_adapter.evaluate(w, {"name": "Other"}, memo)
        long = copier_adapter.evaluate(w, {"name": "Much longer"}, memo)
    assert short.valid and short.values["slug"] == "other"
    assert not long.valid and "longer than 8" in str(long.error)


def test_resolve_answers_validates_derived_defaults(template: Path, tmp_path: Path) -> None:
    with (
        worker(template, tmp_path / "out", data={"name": "A Long Name"}) as w,
        pytest.raises(ValueError) as info,
    ):
        copier_adapter.resolve_answers(w)
    assert copier_adapter.validation_message(info.value) == ("slug", "slug is longer than 8")


def test_resolve_answers_rejects_invalid_data_with_copiers_message(
    template: Path, tmp_path: Path
) -> None:
    with (
        worker(template, tmp_path / "out", data={"slug": "much_too_long"}) as w,
        pytest.raises(ValueError) as info,
    ):
        copier_adapter.resolve_answers(w)
    assert copier_adapter.validation_message(info.value) == ("slug", "slug is longer than 8")


def test_resolve_answers_leaves_out_hidden_and_computed(template: Path, tmp_path: Path) -> None:
    with worker(template, tmp_path / "out") as w:
        resolved = copier_adapter.resolve_answers(w)
    assert resolved == {"name": "My Thing", "slug": "my_thing", "cloud": "local"}


def test_render_copy_renders_exactly_the_resolved_answers(template: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with worker(template, out, data={"cloud": "aws"}, overwrite=True) as w:
        copier_adapter.memoize_string_templates(w)
        resolved = copier_adapter.resolve_answers(w)
        copier_adapter.render_copy(w, {**resolved, "name": "Ab"})
    # Computed values are computed again on render, from the answers rendered.
    assert (out / "my_thing.txt").read_text() == "Ab True\n"


def test_memoized_from_string_compiles_each_source_once(template: Path) -> None:
    with worker(template) as w:
        copier_adapter.memoize_string_templates(w)
        first = w.jinja_env.from_string("{{ a }}")
        assert w.jinja_env.from_string("{{ a }}") is first
        assert first.render(a=1) == "1"


def test_every_environment_compiles_each_source_once_while_memoized(template: Path) -> None:
    """What copier's run_update gets: each of its Workers' environments caches on its own,
    and only while the context is open."""
    with worker(template) as first, worker(template) as second:
        with copier_adapter.string_templates_memoized():
            compiled = first.jinja_env.from_string("{{ a }}")
            assert first.jinja_env.from_string("{{ a }}") is compiled
            assert second.jinja_env.from_string("{{ a }}") is not compiled
            assert compiled.render(a=2) == "2"
        assert first.jinja_env.from_string("{{ a }}") is not compiled


def test_validation_message_ignores_other_errors() -> None:
    assert copier_adapter.validation_message(ValueError("something else")) is None
    assert (
        copier_adapter.validation_message(OSError("Validation error for question 'x': y")) is None
    )


@pytest.mark.parametrize("file_mode", ["true", "false"])
def test_the_git_file_mode_is_read_once_and_copier_syncs_only_where_it_is_false(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, file_mode: str
) -> None:
    import subprocess

    from copier._main import Worker

    out = tmp_path / "out"
    out.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=out, check=True)
    subprocess.run(["git", "config", "core.fileMode", file_mode], cwd=out, check=True)
    synced: list[str] = []
    reads: list[Path] = []
    original_read = copier_adapter._core_file_mode
    monkeypatch.setattr(
        Worker,
        "_sync_git_index_executable_bit",
        lambda self, dst_relpath, src_mode: synced.append(str(dst_relpath)),
    )
    monkeypatch.setattr(
        copier_adapter, "_core_file_mode", lambda root: reads.append(root) or original_read(root)
    )
    with worker(template, out, overwrite=True) as w:
        copier_adapter.render_copy(w, copier_adapter.resolve_answers(w))
    assert len(reads) == 1 and reads[0].resolve() == out.resolve()
    expected = {"my_thing.txt", ".copier-answers.yml"} if file_mode == "false" else set()
    assert set(synced) == expected and len(synced) == len(expected)
    # Copier's own method is back once the render is over.
    assert Worker._sync_git_index_executable_bit.__name__ == "<lambda>"
