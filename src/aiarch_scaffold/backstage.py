"""Exports the kit as a Backstage software template, parameters generated from copier.yml.

`aiarch export backstage DEST` writes `template.yaml` (scaffolder.backstage.io/v1beta3), a
`skeleton/` that `fetch:template` renders into the answers file, and the source of the one
custom action it needs, `aiarch:new` (runs `aiarch new` on those answers). Every non-computed
question becomes a parameter: choices as `enum` + `enumNames`, help as `description`, plain
defaults as `default`, `regex_search` validators as `pattern`, and `when` conditions over one
choice question as JSON Schema `dependencies` with `oneOf`.
"""

from __future__ import annotations

import contextlib
import copy
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import jinja2.nodes
import yaml

from aiarch_scaffold import __version__
from aiarch_scaffold.errors import ScaffoldError, UsageError
from aiarch_scaffold.questions import Question, computed_values, load_config, load_questions

TEMPLATE_FILE = "template.yaml"
SKELETON_ANSWERS = "skeleton/aiarch-answers.yml"
ACTION_FILE = "actions/aiarch-new.ts"
WORDS = {"ci": "CI", "iac": "IaC"}  # words a title spells differently from the key
JSON_TYPES = {"str": "string", "bool": "boolean", "int": "integer", "float": "number"}
_ENV = jinja2.Environment(autoescape=True)  # parses copier.yml expressions, never renders them


def regex_of(question: Question) -> str | None:
    """The regex a validator checks with `<name> | regex_search('...')`, if it has one."""
    if not question.validator:
        return None
    try:
        ast = _ENV.parse(question.validator)
    except jinja2.TemplateSyntaxError:
        return None
    for node in ast.find_all(jinja2.nodes.Filter):
        if (
            node.name == "regex_search"
            and isinstance(node.node, jinja2.nodes.Name)
            and node.node.name == question.name
            and node.args
            and isinstance(node.args[0], jinja2.nodes.Const)
        ):
            return str(node.args[0].value)
    return None


def _expression(text: str) -> jinja2.nodes.Expr | None:
    """The expression of a `{{ ... }}` string (a `when` or a computed default), if it is one."""
    match = re.fullmatch(r"\{\{\s*(.*?)\s*\}\}", str(text).strip(), re.DOTALL)
    if not match:
        return None
    try:
        body = _ENV.parse("{{ " + match.group(1) + " }}").body[0]
    except jinja2.TemplateSyntaxError:
        return None
    return body.nodes[0] if isinstance(body, jinja2.nodes.Output) else None


def _condition(
    question: Question, computed: dict[str, Any] | None = None
) -> tuple[str, set[Any], bool] | None:
    """`{{ q == 'v' }}`, `!=`, `in [...]`, `not in [...]` as (controller, values, is_allowed).

    A `when` that names a computed value (`{{ has_cloud }}`) is read through its definition.
    """
    node = _expression(question.when)
    computed = computed or {}
    if isinstance(node, jinja2.nodes.Name) and node.name in computed:
        node = _expression(computed[node.name])
    if not isinstance(node, jinja2.nodes.Compare) or len(node.ops) != 1:
        return None
    if not isinstance(node.expr, jinja2.nodes.Name):
        return None
    op = node.ops[0]
    try:
        value = op.expr.as_const()
    except jinja2.nodes.Impossible:
        return None
    values = set(value) if isinstance(value, list | tuple) else {value}
    allowed = {"eq": True, "in": True, "ne": False, "notin": False}.get(op.op)
    return None if allowed is None else (node.expr.name, values, allowed)


def allowed_choices(question: Question, context: dict[str, Any]) -> list[Any]:
    """The choices whose validator passes given `context`; all of them when it reads more."""
    if not question.validator:
        return question.values
    env = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined)  # noqa: S701
    env.filters["regex_search"] = lambda value, pattern: re.search(pattern, str(value))
    template = env.from_string(question.validator)
    kept = []
    for value in question.values:
        try:
            message = template.render({**context, question.name: value}).strip()
        except jinja2.UndefinedError:
            return question.values
        if not message:
            kept.append(value)
    return kept


def parameter(question: Question, context: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON Schema of one question, as a Backstage form field."""
    field: dict[str, Any] = {
        "title": " ".join(WORDS.get(w, w) for w in question.name.split("_")).capitalize()
        if question.name not in WORDS
        else WORDS[question.name],
        "type": JSON_TYPES.get(question.type, "string"),
    }
    if question.help:
        field["description"] = question.help
    if question.is_choice:
        kept = allowed_choices(question, context) if context is not None else question.values
        field["enum"] = kept
        field["enumNames"] = [label for label, v in question.choices.items() if v in kept]
    if question.default is not None and not question.is_templated:
        field["default"] = question.default
    elif question.is_templated:
        field["description"] = f"{question.help} (leave empty to derive it)".strip()
    pattern = regex_of(question)
    if pattern:
        field["pattern"] = pattern
    return field


def parameters(questions: list[Question], computed: dict[str, Any] | None = None) -> dict[str, Any]:
    """One form page: every asked question; conditional ones under `dependencies`.

    ``computed`` maps copier.yml's computed values (`when: false`, which ``parse_questions``
    leaves out) to their definitions; by default the kit's own copier.yml.
    """
    asked = [q for q in questions if not q.is_computed]
    computed = {
        **(computed_values(load_config()) if computed is None else computed),
        **{q.name: q.default for q in questions if q.is_computed},
    }
    by_name = {q.name: q for q in asked}
    properties: dict[str, Any] = {}
    required: list[str] = []
    conditional: dict[str, list[tuple[Question, set[Any], bool]]] = {}
    for question in asked:
        condition = None if question.when is True else _condition(question, computed)
        if condition and condition[0] in by_name and by_name[condition[0]].is_choice:
            conditional.setdefault(condition[0], []).append((question, *condition[1:]))
            continue
        field = properties[question.name] = parameter(question)
        if question.when is not True:
            # A condition JSON Schema cannot express: shown always, optional, and copier
            # ignores the answer when the condition is false.
            note = f"asked when {str(question.when).strip()}"
            field["description"] = f"{field.get('description', '')} ({note})".strip()
        elif not question.is_templated and question.type != "bool":
            required.append(question.name)
    page: dict[str, Any] = {"title": "Project", "required": required, "properties": properties}
    dependencies = {}
    for controller, dependants in conditional.items():
        branches = []
        for value in by_name[controller].values:
            shown = [q for q, values, allowed in dependants if (value in values) == allowed]
            branch: dict[str, Any] = {"properties": {controller: {"enum": [value]}}}
            context = {controller: value}
            branch["properties"].update({q.name: parameter(q, context) for q in shown})
            if shown:
                branch["required"] = [q.name for q in shown]
            branches.append(branch)
        dependencies[controller] = {"oneOf": branches}
    # A controller that is itself conditional (api_gateway, asked with a cloud) keeps its
    # dependants inside the branches that show it, where the form resolves them.
    for controller in [c for c in dependencies if c not in properties]:
        block = dependencies.pop(controller)
        for branch in list(_branches_showing(dependencies, controller)):
            # a copy each: one shared object would be written as a YAML alias
            branch.setdefault("dependencies", {})[controller] = copy.deepcopy(block)
    if dependencies:
        page["dependencies"] = dependencies
    return page


def _branches_showing(dependencies: dict[str, Any], name: str) -> Iterator[dict[str, Any]]:
    """Every `oneOf` branch, at any depth, whose properties include ``name``."""
    for block in dependencies.values():
        for branch in block["oneOf"]:
            if name in branch["properties"]:
                yield branch
            yield from _branches_showing(branch.get("dependencies", {}), name)


def parameter_names(page: dict[str, Any]) -> set[str]:
    """Every question a form page asks, including the ones under `dependencies`."""
    names = set(page.get("properties", {}))
    for dependency in page.get("dependencies", {}).values():
        for branch in dependency.get("oneOf", []):
            names |= parameter_names(branch)
    return names


def template_document(questions: list[Question], *, owner: str) -> dict[str, Any]:
    names = [q.name for q in questions if not q.is_computed]
    return {
        "apiVersion": "scaffolder.backstage.io/v1beta3",
        "kind": "Template",
        "metadata": {
            "name": "aiarch-project",
            "title": "AI architecture project (aiarch-scaffold)",
            "description": "A production-shaped AI-architecture repository rendered by "
            f"aiarch-scaffold {__version__} from its copier.yml.",
            "tags": ["python", "mlops", "copier"],
        },
        "spec": {
            "owner": owner,
            "type": "service",
            "parameters": [
                parameters(questions),
                {
                    "title": "Repository",
                    "required": ["repoUrl"],
                    "properties": {
                        "repoUrl": {
                            "title": "Repository location",
                            "type": "string",
                            "ui:field": "RepoUrlPicker",
                            "ui:options": {"allowedHosts": ["github.com", "gitlab.com"]},
                        }
                    },
                },
            ],
            "steps": [
                {
                    "id": "answers",
                    "name": "Write the answers file",
                    "action": "fetch:template",
                    "input": {
                        "url": "./skeleton",
                        "targetPath": "./answers",
                        "values": {name: f"${{{{ parameters.{name} }}}}" for name in names},
                    },
                },
                {
                    "id": "render",
                    "name": "Render the project with aiarch new",
                    "action": "aiarch:new",
                    "input": {
                        "answersFile": "./answers/aiarch-answers.yml",
                        "targetPath": "./project",
                    },
                },
                {
                    "id": "publish-github",
                    "name": "Publish to GitHub",
                    "if": "${{ parameters.repoUrl.startsWith('github.com') }}",
                    "action": "publish:github",
                    "input": {
                        "repoUrl": "${{ parameters.repoUrl }}",
                        "sourcePath": "./project",
                        "description": "${{ parameters.description }}",
                        "defaultBranch": "main",
                        "repoVisibility": "private",
                    },
                },
                {
                    "id": "publish-gitlab",
                    "name": "Publish to GitLab",
                    "if": "${{ parameters.repoUrl.startsWith('gitlab.com') }}",
                    "action": "publish:gitlab",
                    "input": {
                        "repoUrl": "${{ parameters.repoUrl }}",
                        "sourcePath": "./project",
                        "defaultBranch": "main",
                        "repoVisibility": "private",
                    },
                },
                {
                    "id": "register",
                    "name": "Register in the catalog",
                    "action": "catalog:register",
                    "input": {
                        "repoContentsUrl": "${{ steps['publish-github'].output.repoContentsUrl"
                        " or steps['publish-gitlab'].output.repoContentsUrl }}",
                        "catalogInfoPath": "/catalog-info.yaml",
                    },
                },
            ],
            "output": {
                "links": [
                    {
                        "title": "Repository",
                        "url": "${{ steps['publish-github'].output.remoteUrl"
                        " or steps['publish-gitlab'].output.remoteUrl }}",
                    },
                    {
                        "title": "Open in catalog",
                        "icon": "catalog",
                        "entityRef": "${{ steps['register'].output.entityRef }}",
                    },
                ]
            },
        },
    }


def skeleton_answers(questions: list[Question]) -> str:
    """The answers file `fetch:template` renders (nunjucks); unanswered keys are left out."""
    lines = [
        "# Answers for `aiarch new --answers-file`, written by the Backstage template.",
        "# Keys left empty in the form are omitted, so copier derives or defaults them.",
    ]
    for question in questions:
        if question.is_computed:
            continue
        name = question.name
        lines += [
            "{%- if values." + name + " is defined and values." + name + " != '' %}",
            f"{name}: ${{{{ values.{name} | dump }}}}",
            "{%- endif %}",
        ]
    return "\n".join(lines) + "\n"


ACTION_SOURCE = """\
// The custom scaffolder action the aiarch template needs: renders the project with the kit.
// Register it in packages/backend (new backend system):
//   scaffolder.addActions(createAiarchNewAction());
// The backend image needs the kit: `pip install aiarch-scaffold==%(version)s` (brings uv, git is
// required too). Source written by `aiarch export backstage`.
import { createTemplateAction, executeShellCommand } from '@backstage/plugin-scaffolder-node';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';

export function createAiarchNewAction() {
  return createTemplateAction({
    id: 'aiarch:new',
    description: 'Renders an aiarch-scaffold project from an answers file',
    schema: {
      input: {
        answersFile: z => z.string().describe('Answers file inside the workspace'),
        targetPath: z => z.string().describe('Folder to create inside the workspace'),
      },
    },
    async handler(ctx) {
      const answers = resolveSafeChildPath(ctx.workspacePath, ctx.input.answersFile);
      const target = resolveSafeChildPath(ctx.workspacePath, ctx.input.targetPath);
      await executeShellCommand({
        command: 'aiarch',
        args: ['new', target, '--defaults', '--answers-file', answers, '--skip-tool-check'],
        logStream: ctx.logStream,
      });
    },
  });
}
"""


@contextlib.contextmanager
def _staged(dest: Path) -> Iterator[Path]:
    """Write into a sibling temp folder, then move it into place: nothing half-written."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        yield staging
        staging.replace(dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def export(dest: Path, *, owner: str = "platform-team", force: bool = False) -> list[Path]:
    """Write template.yaml, the skeleton and the action source into `dest` (a new folder)."""
    if dest.exists() and not (dest.is_dir() and (force or not any(dest.iterdir()))):
        raise UsageError(f"{dest} exists and is not an empty folder; use --force to replace it")
    questions = load_questions()
    document = template_document(questions, owner=owner)
    files = {
        TEMPLATE_FILE: yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100),
        SKELETON_ANSWERS: skeleton_answers(questions),
        ACTION_FILE: ACTION_SOURCE % {"version": __version__},
    }
    try:
        with _staged(dest) as staging:
            for name, text in files.items():
                (staging / name).parent.mkdir(parents=True, exist_ok=True)
                (staging / name).write_text(text, encoding="utf-8")
            if dest.exists():
                shutil.rmtree(dest)
    except OSError as exc:
        raise ScaffoldError(f"cannot write {dest}: {exc.strerror or exc}") from exc
    return [dest / name for name in files]
