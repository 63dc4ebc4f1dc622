"""What a user of the CLI meets: tool checks, next steps, errors, completion, options."""

from __future__ import annotations

import json
import keyword
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from aiarch_scaffold import completion, preflight
from aiarch_scaffold.cli import app
from aiarch_scaffold.errors import ScaffoldError
from aiarch_scaffold.generate import leftover_staging
from aiarch_scaffold.questions import load_questions, parse_questions
from aiarch_scaffold.template_source import template_root
from tests.conftest import REPO_ROOT

runner = CliRunner()
BIN = Path(sys.executable).parent


def path_with(tmp_path: Path, *tools: str) -> str:
    """A PATH folder holding only ``tools`` (links to the real ones)."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for tool in tools:
        real = shutil.which(tool)
        assert real, tool
        (folder / tool).symlink_to(real)
    return str(folder)


# ------------------------------------------------------------------ tools and next steps
def test_missing_make_and_git_render_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", path_with(tmp_path))
    result = runner.invoke(app, ["new", str(tmp_path / "p"), "--defaults"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: the next steps need git and make, not found on PATH")
    assert "sudo apt-get install git make" in lines[0]
    assert not (tmp_path / "p").exists()
    assert not leftover_staging(tmp_path)


def test_skip_tool_check_renders_anyway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", path_with(tmp_path, "git"))  # copier itself needs git here
    result = runner.invoke(app, ["new", str(tmp_path / "p"), "--defaults", "--skip-tool-check"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "p" / "Makefile").is_file()


def test_missing_uv_is_named_with_its_install_command() -> None:
    tools = {"git": "/usr/bin/git", "make": "/usr/bin/make"}
    with pytest.raises(ScaffoldError) as info:
        preflight.check_tools(which=tools.get, bundled_uv=lambda: None)
    assert info.value.message.startswith("the next steps need uv, not found on PATH")
    assert "`python -m pip install uv`" in info.value.message


def test_the_kits_uv_is_exported_when_not_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", path_with(tmp_path, "git", "make"))
    result = runner.invoke(app, ["new", str(tmp_path / "p"), "--defaults"])
    assert result.exit_code == 0, result.stderr
    kit_uv = preflight.kit_uv()
    assert kit_uv and Path(kit_uv).is_file()
    assert f"  export UV={kit_uv}   # the kit's uv; not on PATH\n" in result.stdout
    # The generated Makefile takes UV from the environment.
    assert "UV ?= uv" in (tmp_path / "p" / "Makefile").read_text()


def test_uv_on_path_needs_no_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", path_with(tmp_path, "git", "make", "uv"))
    result = runner.invoke(app, ["new", str(tmp_path / "p"), "--defaults"])
    assert result.exit_code == 0, result.stderr
    assert "export UV" not in result.stdout
    steps = result.stdout.split("Next steps:\n", 1)[1].splitlines()
    assert steps[:2] == [f"  cd {tmp_path / 'p'}", f"  {preflight.NEXT_STEPS[0]}"]
    assert steps[-1].startswith("  make serve   # then POST /v1/predict with an X-API-Key header")


def test_the_serve_step_names_the_use_cases_route(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", path_with(tmp_path, "git", "make", "uv"))
    result = runner.invoke(
        app, ["new", str(tmp_path / "p"), "--defaults", "-d", "use_case=segmentation"]
    )
    assert result.exit_code == 0, result.stderr
    serve = result.stdout.split("Next steps:\n", 1)[1].splitlines()[-1]
    assert serve.startswith("  make serve   # then POST /v1/segments with an X-API-Key header")
    assert "/v1/predict" not in result.stdout


def test_the_serve_step_names_the_price_quote_route(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", path_with(tmp_path, "git", "make", "uv"))
    result = runner.invoke(
        app, ["new", str(tmp_path / "p"), "--defaults", "-d", "use_case=pricing"]
    )
    assert result.exit_code == 0, result.stderr
    serve = result.stdout.split("Next steps:\n", 1)[1].splitlines()[-1]
    assert serve.startswith("  make serve   # then POST /v1/price-quote with an X-API-Key header")


API_STYLES = next(q for q in load_questions() if q.name == "api_style").values


@pytest.mark.parametrize("api_style", API_STYLES)
def test_next_steps_say_how_to_call_the_chosen_api_style(api_style: str) -> None:
    serve = preflight.next_steps(Path("p"), None, api_style, predict_path="/v1/segments")[-1]
    assert serve.startswith("make serve")
    # Only REST POSTs to the use case's route; every other style names its own way in.
    assert ("POST /v1/segments" in serve) == (api_style == "rest")


def test_next_steps_quote_the_destination() -> None:
    toolchain = preflight.Toolchain(uv="/opt/my env/bin/uv", uv_on_path=False)
    steps = preflight.next_steps(Path("my proj"), toolchain, predict_path="/v1/predict")
    assert steps[:2] == [
        "cd 'my proj'",
        "export UV='/opt/my env/bin/uv'   # the kit's uv; not on PATH",
    ]


# ------------------------------------------------------------------ no tracebacks
def test_an_unexpected_error_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from aiarch_scaffold import matrix

    def missing(*args: object, **kwargs: object) -> None:
        raise ModuleNotFoundError("No module named 'allpairspy'")

    monkeypatch.setattr(matrix, "compute", missing)
    monkeypatch.delenv("AIARCH_DEBUG", raising=False)
    result = runner.invoke(app, ["matrix"])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "Error: ModuleNotFoundError: No module named 'allpairspy' "
        "(unexpected; rerun with --debug for the traceback)"
    ]
    debug = runner.invoke(app, ["--debug", "matrix"])
    assert isinstance(debug.exception, ModuleNotFoundError)
    monkeypatch.setenv("AIARCH_DEBUG", "1")
    assert isinstance(runner.invoke(app, ["matrix"]).exception, ModuleNotFoundError)


def test_matrix_runs_in_a_venv_without_dev_extras_when_allpairspy_is_a_runtime_dep() -> None:
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    runtime = pyproject.split("dependencies = [", 1)[1].split("]", 1)[0]
    assert '"allpairspy' in runtime and '"uv' in runtime


# ------------------------------------------------------------------ project_slug
def _validator_keywords() -> list[str]:
    raw = yaml.safe_load((template_root() / "copier.yml").read_text())["project_slug"]["validator"]
    listed = re.search(r"project_slug in \[(.*?)\]", raw, re.S)
    assert listed, "project_slug validator lists the keywords"
    return re.findall(r"'([a-z_]+)'", listed.group(1))


def test_slug_keyword_list_is_pythons() -> None:
    assert _validator_keywords() == [k for k in keyword.kwlist if k.islower()]


@pytest.mark.parametrize("slug", ["class", "import"])
def test_keyword_slug_is_refused(tmp_path: Path, slug: str) -> None:
    result = runner.invoke(
        app, ["new", str(tmp_path / "p"), "--defaults", "-d", f"project_slug={slug}"]
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"Error: invalid answer for 'project_slug': project_slug '{slug}' is a Python keyword, "
        "so it cannot name a Python package or module; pick another slug"
    )
    assert not (tmp_path / "p").exists()


def test_plain_copier_refuses_a_keyword_slug_with_the_same_reason(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "copier",
            "copy",
            "--trust",
            "--defaults",
            "--quiet",
            "--data",
            "project_slug=class",
            str(template_root()),
            str(tmp_path / "plain"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "project_slug 'class' is a Python keyword" in result.stderr
    assert not (tmp_path / "plain" / "Makefile").exists()


def test_lowercase_none_is_a_valid_slug(tmp_path: Path) -> None:
    # `none` (unlike `None`) is an ordinary identifier: `import none` works.
    result = runner.invoke(
        app, ["new", str(tmp_path / "p"), "--defaults", "-d", "project_slug=none"]
    )
    assert result.exit_code == 0, result.stderr
    assert "project_slug: none" in (tmp_path / "p" / ".copier-answers.yml").read_text()


# ------------------------------------------------------------------ options
def test_options_show_the_rendered_slug_default_and_where_it_comes_from() -> None:
    table = runner.invoke(app, ["options"], env={"COLUMNS": "250"})
    assert table.exit_code == 0
    assert "customer_churn_platform (from project_name)" in table.stdout
    assert "{{" not in table.stdout
    rows = {
        row["name"]: row for row in json.loads(runner.invoke(app, ["options", "--json"]).stdout)
    }
    assert rows["project_slug"]["default"] == "customer_churn_platform"
    assert rows["project_slug"]["derived_from"] == ["project_name"]
    assert rows["project_name"]["derived_from"] == ["use_case"]
    assert "Customer Churn Platform (from use_case)" in table.stdout
    # Not asked with the default answers (no cloud): derived, never its raw template.
    assert "derived from cloud" in table.stdout
    assert (rows["cloud_region"]["default"], rows["cloud_region"]["derived_from"]) == (
        None,
        ["cloud"],
    )


# ------------------------------------------------------------------ completion
QUESTIONS = parse_questions(
    {
        "_subdirectory": "template",
        "cloud": {"type": "str", "help": "Cloud", "choices": {"AWS": "aws", "Local": "local"}},
        "ci": {"type": "str", "choices": ["github", "gitlab"]},
        "strict": {"type": "bool", "default": True},
        "name": {"type": "str", "default": "x"},
        "is_cloud": {"type": "bool", "when": False, "default": "{{ cloud != 'local' }}"},
    }
)


def test_data_candidates_offer_question_names_as_key_equals() -> None:
    names = [value for value, _ in completion.data_candidates("", QUESTIONS)]
    assert names == ["cloud=", "ci=", "strict=", "name="]  # no computed, no `_` settings
    assert completion.data_candidates("cl", QUESTIONS) == [("cloud=", "Cloud")]


def test_data_candidates_offer_a_questions_choices_after_the_equals() -> None:
    assert completion.data_candidates("cloud=", QUESTIONS) == [
        ("cloud=aws", "AWS"),
        ("cloud=local", "Local"),
    ]
    assert completion.data_candidates("cloud=l", QUESTIONS) == [("cloud=local", "Local")]
    assert [v for v, _ in completion.data_candidates("strict=", QUESTIONS)] == [
        "strict=true",
        "strict=false",
    ]
    assert completion.data_candidates("name=", QUESTIONS) == []
    assert completion.data_candidates("is_cloud=", QUESTIONS) == []
    assert completion.data_candidates("nope=", QUESTIONS) == []


def _complete(words: str, cword: int, shell: str = "bash") -> list[str]:
    env = {"_AIARCH_COMPLETE": f"complete_{shell}", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    result = runner.invoke(app, [], env=env, prog_name="aiarch")
    assert result.exit_code == 0, result.output
    return result.stdout.split()


def test_bash_completion_of_data_keys_and_values_through_the_cli() -> None:
    cloud = next(q for q in load_questions() if q.name == "cloud")
    assert _complete("aiarch new --data clo", 3) == ["cloud=", "cloud_region="]
    assert _complete("aiarch new --data cloud_", 3) == ["cloud_region="]
    # bash splits `cloud=a` at `=` and replaces only the text after it.
    assert _complete("aiarch new --data cloud =", 4) == [str(v) for v in cloud.values]
    assert _complete("aiarch new -d cloud = a", 5) == ["aws", "azure"]
    assert _complete("aiarch new --data cloud = aws --data ci = g", 9) == ["github", "gitlab"]
    assert _complete("aiarch matrix --include cloud = g", 5) == ["gcp"]


def test_zsh_completion_keeps_key_equals_value() -> None:
    env = {"_AIARCH_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "aiarch new --data cloud=a"}
    result = runner.invoke(app, [], env=env, prog_name="aiarch")
    assert "cloud=aws" in result.stdout and "cloud=azure" in result.stdout


def test_completion_in_a_real_bash(tmp_path: Path) -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "HOME": str(tmp_path)}
    script = (
        "source <(aiarch --show-completion bash)\n"
        "COMP_WORDS=(aiarch new --data cloud = a); COMP_CWORD=5\n"
        "_aiarch_completion aiarch\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
        "COMP_WORDS=(aiarch new --data proj); COMP_CWORD=3\n"
        "_aiarch_completion aiarch\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    result = subprocess.run(
        [bash, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["aws", "azure", "project_name=", "project_slug="]


def test_install_completion_is_offered() -> None:
    help_text = runner.invoke(app, ["--help"], env={"COLUMNS": "200"}).stdout
    assert "--install-completion" in help_text and "--show-completion" in help_text


def test_computed_questions_are_neither_options_nor_matrix_factors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aiarch_scaffold import questions
    from aiarch_scaffold.matrix import factors_of

    monkeypatch.setattr(questions, "load_questions", lambda root=None: QUESTIONS)
    shown = json.loads(runner.invoke(app, ["options", "--json"]).stdout)
    assert [row["name"] for row in shown] == ["cloud", "ci", "strict", "name"]
    assert [factor.name for factor in factors_of(QUESTIONS)] == ["cloud", "ci", "strict"]


def test_a_library_error_outside_a_handler_is_still_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aiarch_scaffold import report

    def broken(*args: object) -> str:
        raise ScaffoldError("cannot show the table", exit_code=1)

    monkeypatch.setattr(report, "options_json", broken)
    result = runner.invoke(app, ["options", "--json"])
    assert result.exit_code == 1
    assert result.stderr == "Error: cannot show the table\n"


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`aiarch matrix | head -1`: no error line and no traceback when the reader goes away."""
    process = subprocess.Popen(
        [sys.executable, "-m", "aiarch_scaffold", "matrix", "-f", "data"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    assert process.stdout is not None
    process.stdout.close()  # before the rows are computed and written
    _, stderr = process.communicate(timeout=300)
    assert stderr.decode() == ""
    assert process.returncode == 141
