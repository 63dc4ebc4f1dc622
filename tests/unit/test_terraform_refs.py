"""template/tools/terraform_refs.py: the offline stand-in for `terraform validate` references."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytest.importorskip("hcl2", reason="python-hcl2 is needed to parse Terraform")

# Rendered as tools/terraform_refs.py only for Terraform variants.
TOOL = (
    Path(__file__).resolve().parents[2]
    / "template"
    / "tools"
    / "{% if use_terraform %}terraform_refs.py{% endif %}"
)

CHILD_VARIABLES = """
variable "name" {
  type        = string
  description = "Required: no default."
}

variable "size" {
  type        = number
  description = "Optional."
  default     = 1
}
"""

CHILD_MAIN = """
locals {
  label = "${var.name}-${var.size}"
}

output "label" {
  value = local.label
}
"""

ROOT_MAIN = """
variable "project" {
  type = string
}

locals {
  # A comment that mentions var.not_a_reference is not code.
  name = "${var.project}-dev"
  note = "literal var.also_not_a_reference"
}

module "child" {
  source = "../modules/child"
  name   = local.name
}

output "label" {
  value = module.child.label
}
"""


@pytest.fixture(scope="module")
def refs() -> ModuleType:
    # The conditional file name has no .py suffix, so the loader must be named explicitly.
    loader = importlib.machinery.SourceFileLoader("terraform_refs", str(TOOL))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    # No bytecode next to the template's file: copier would try to render its name, which
    # holds half of the `{% if %}` of the source's name.
    writes_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = writes_bytecode
    return module


def write_tree(root: Path, root_main: str = ROOT_MAIN) -> Path:
    child = root / "modules" / "child"
    child.mkdir(parents=True)
    (child / "variables.tf").write_text(CHILD_VARIABLES, encoding="utf-8")
    (child / "main.tf").write_text(CHILD_MAIN, encoding="utf-8")
    env = root / "envs"
    env.mkdir()
    (env / "main.tf").write_text(root_main, encoding="utf-8")
    return env / "main.tf"


def problems(refs: ModuleType, root: Path) -> list[str]:
    found, _, _ = refs.check([root])
    return list(found)


def test_resolved_tree_passes_and_ignores_literals_and_comments(
    refs: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_tree(tmp_path)
    assert refs.main([str(tmp_path)]) == 0
    assert "3 files in 2 modules" in capsys.readouterr().out


def test_dangling_variable_fails_with_file_and_line(
    refs: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main_tf = write_tree(tmp_path, ROOT_MAIN.replace("${var.project}", "${var.projcet}"))
    assert refs.main([str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"{main_tf}:8: var.projcet: no variable 'projcet'" in err
    assert "1 problem(s)" in err


def test_undeclared_local_and_module_are_reported(refs: ModuleType, tmp_path: Path) -> None:
    broken = ROOT_MAIN.replace("local.name", "local.nmae").replace(
        "module.child.label", "module.kid.label"
    )
    write_tree(tmp_path, broken)
    found = problems(refs, tmp_path)
    assert any("local.nmae: no local value 'nmae'" in p for p in found)
    assert any("module.kid: no module block 'kid'" in p for p in found)


def test_unknown_module_output_is_reported(refs: ModuleType, tmp_path: Path) -> None:
    write_tree(tmp_path, ROOT_MAIN.replace("module.child.label", "module.child.lable"))
    assert any("declares no output 'lable'" in p for p in problems(refs, tmp_path))


def test_module_arguments_must_match_variables(refs: ModuleType, tmp_path: Path) -> None:
    write_tree(tmp_path, ROOT_MAIN.replace("name   = local.name", "nmae   = local.name"))
    found = problems(refs, tmp_path)
    assert any("passes 'nmae'" in p and "no variable 'nmae'" in p for p in found)
    assert any("misses required variable 'name'" in p for p in found)


def test_missing_module_source_is_reported(refs: ModuleType, tmp_path: Path) -> None:
    write_tree(tmp_path, ROOT_MAIN.replace("../modules/child", "../modules/gone"))
    assert any("source '../modules/gone' is not a directory" in p for p in problems(refs, tmp_path))


def test_references_inside_heredocs_and_templates_count(refs: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        "locals {\n  doc = <<-EOT\n    ${var.heredoc} and %{ if var.flag }x%{ endif }\n  EOT\n}\n",
        encoding="utf-8",
    )
    found = problems(refs, tmp_path)
    assert any("var.heredoc" in p for p in found)
    assert any("var.flag" in p for p in found)


def test_unparsable_file_is_a_problem(refs: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "x" {\n', encoding="utf-8")
    assert any("cannot parse" in p for p in problems(refs, tmp_path))


def test_moved_blocks_name_resources_inside_modules(refs: ModuleType, tmp_path: Path) -> None:
    moved = "\nmoved {\n  from = aws_thing.old[0]\n  to   = module.child.aws_thing.new\n}\n"
    write_tree(tmp_path, ROOT_MAIN + moved)
    assert problems(refs, tmp_path) == []
    write_tree(tmp_path / "typo", ROOT_MAIN + moved.replace("module.child.", "module.kid."))
    assert any("module.kid: no module block 'kid'" in p for p in problems(refs, tmp_path / "typo"))
