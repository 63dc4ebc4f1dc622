"""The `aiarch` command line: parses, calls the library, prints. No logic of its own."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
import warnings
from collections.abc import MutableMapping
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from aiarch_scaffold import __version__, completion
from aiarch_scaffold.errors import ScaffoldError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

DEBUG_ENV = "AIARCH_DEBUG"


class _AiarchGroup(TyperGroup):
    """No command ends in a traceback: an unexpected error becomes one `Error:` line.

    A missing module, an unreadable file or a bug in the kit is reported with its type and
    message and exit code 1; `--debug` (or AIARCH_DEBUG=1) re-raises it with the traceback.
    """

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click Context
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, KeyboardInterrupt, SystemExit):
            raise
        except ScaffoldError as exc:
            fail(exc)
        except BrokenPipeError:
            # `aiarch matrix | head -1`: the reader is gone; stop quietly as `cat` would.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(141) from None
        except Exception as exc:
            if type(exc).__module__.startswith(("click", "typer")) or _debugging(ctx):
                raise
            detail = str(exc).strip().splitlines()
            message = f"{type(exc).__name__}: {detail[0]}" if detail else type(exc).__name__
            typer.echo(
                f"Error: {message} (unexpected; rerun with --debug for the traceback)", err=True
            )
            raise typer.Exit(1) from None

    def _main_shell_completion(
        self,
        ctx_args: MutableMapping[str, Any],
        prog_name: str,
        complete_var: str | None = None,
    ) -> None:
        variable = complete_var or f"_{prog_name}_COMPLETE".replace("-", "_").upper()
        completion.prepare(os.environ, os.environ.get(variable))
        captured = io.StringIO()
        try:
            with contextlib.redirect_stdout(captured):
                super()._main_shell_completion(ctx_args, prog_name, complete_var)
        finally:
            sys.stdout.write(completion.for_shell(captured.getvalue()))


def _debugging(ctx: Any) -> bool:
    return bool(ctx.meta.get(DEBUG_ENV)) or os.environ.get(DEBUG_ENV, "") not in ("", "0")


app = typer.Typer(
    name="aiarch",
    cls=_AiarchGroup,
    help="Start production-shaped AI-architecture repositories and keep them updated.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def console() -> Console:
    """rich is imported only when there is something rich to show (it costs ~0.1 s)."""
    from rich.console import Console

    return Console(soft_wrap=True)


def fancy_output() -> bool:
    """Tables and colours on a terminal; one plain line per result when piped (CI, scripts)."""
    return sys.stdout.isatty()


DataOption = Annotated[
    list[str] | None,
    typer.Option(
        "--data",
        "-d",
        metavar="KEY=VALUE",
        help="Answer a question (repeatable).",
        autocompletion=completion.complete_data,
    ),
]


def require_terminal(hint: str) -> None:
    """Prompts need a terminal: fail fast instead of hanging on a pipe or in CI."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(f"no terminal to ask questions; pass {hint}")


def fail(exc: ScaffoldError) -> NoReturn:
    typer.echo(f"Error: {exc.message}", err=True)
    raise typer.Exit(exc.exit_code)


def _interrupt_on_sigterm() -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"aiarch-scaffold {__version__}")
        raise typer.Exit


@app.callback()
def main(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option("--debug", envvar=DEBUG_ENV, help="Show tracebacks of unexpected errors."),
    ] = False,
) -> None:
    """Start production-shaped AI-architecture repositories and keep them updated."""
    ctx.meta[DEBUG_ENV] = debug
    warnings.filterwarnings("ignore", module="copier")


@app.command()
def new(
    destination: Annotated[
        Path | None,
        typer.Argument(help="Folder to create (default: ./<project-slug>)."),
    ] = None,
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Take defaults for every unanswered question.")
    ] = False,
    data: DataOption = None,
    answers_file: Annotated[
        Path | None,
        typer.Option("--answers-file", "-a", help="YAML file of answers (overrides --preset)."),
    ] = None,
    preset: Annotated[
        str | None,
        typer.Option("--preset", "-p", help="Named answer profile (see `aiarch presets list`)."),
    ] = None,
    preset_dir: Annotated[
        Path | None, typer.Option("--preset-dir", help="Folder of team presets (NAME.yml).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Allow writing into a non-empty destination.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show the full summary table when piped too.")
    ] = False,
    skip_tool_check: Annotated[
        bool,
        typer.Option(
            "--skip-tool-check", help="Create the project even if git, make or uv is missing."
        ),
    ] = False,
) -> None:
    """Create a new project: ask the questions from copier.yml, then render it atomically."""
    from aiarch_scaffold import answers, preflight, presets, report
    from aiarch_scaffold.generate import create_project

    _interrupt_on_sigterm()
    try:
        # config.yml defaults < preset < --answers-file < --data
        given = presets.layered_answers(
            preset=preset,
            preset_dir=preset_dir,
            answers_file=answers_file,
            data=answers.parse_data_pairs(data or []),
        )
        # Before any prompt or file: the printed next steps must work on this machine.
        toolchain = None if skip_tool_check else preflight.check_tools()
        interactive = not defaults
        if interactive:
            require_terminal("--defaults (and --data/--answers-file)")
        result = create_project(destination, given, interactive=interactive, force=force)
    except ScaffoldError as exc:
        fail(exc)
    steps = preflight.next_steps(
        result.destination,
        toolchain,
        str(result.answers.get("api_style", "rest")),
        predict_path=str(result.computed["predict_path"]),
    )
    if fancy_output() or verbose:
        report.print_generated(console(), result, steps)
    else:
        typer.echo(report.plain_generated(result, steps))


@app.command()
def options(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List every question with its choices and default, read from copier.yml."""
    from aiarch_scaffold import report
    from aiarch_scaffold.questions import load_questions, shown_defaults

    try:
        questions = [q for q in load_questions() if not q.is_computed]
        defaults = shown_defaults(questions)
    except ScaffoldError as exc:
        fail(exc)
    if as_json:
        print(report.options_json(questions, defaults))
    else:
        console().print(report.options_table(questions, defaults))


@app.command()
def update(
    path: Annotated[Path, typer.Argument(help="Generated project to update.")] = Path(),
    to: Annotated[
        str | None,
        typer.Option("--to", metavar="REF", help="Template version (default: this kit's)."),
    ] = None,
    pretend: Annotated[
        bool, typer.Option("--pretend", "--dry-run", help="Show what would change; write nothing.")
    ] = False,
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Keep recorded answers; defaults for new questions.")
    ] = False,
    data: DataOption = None,
    conflict: Annotated[
        str, typer.Option("--conflict", help="How to mark conflicts: inline or rej.")
    ] = "inline",
    template: Annotated[
        Path | None,
        typer.Option("--template", help="Template git repo or bundle to read instead."),
    ] = None,
    print_git_config: Annotated[
        bool,
        typer.Option(
            "--print-git-config",
            help="Print the git settings (export lines) plain `copier update` needs here "
            "for the project and its added services; update nothing.",
        ),
    ] = False,
) -> None:
    """Update a generated project to a newer template version, keeping every local edit."""
    from aiarch_scaffold import answers, report
    from aiarch_scaffold.template_source import TemplateSource
    from aiarch_scaffold.update import update_project

    _interrupt_on_sigterm()
    if print_git_config:
        from aiarch_scaffold.plain_copier import plain_copier, shell_lines

        try:
            print(shell_lines(plain_copier(path)))
        except ScaffoldError as exc:
            fail(exc)
        return
    try:
        if conflict not in ("inline", "rej"):
            raise UsageError(f"invalid value {conflict!r} for --conflict; allowed: inline, rej")
        if not defaults:
            require_terminal("--defaults (and --data)")
        result = update_project(
            path,
            to=to,
            pretend=pretend,
            defaults=defaults,
            data=answers.parse_data_pairs(data or []),
            conflict="rej" if conflict == "rej" else "inline",
            template=TemplateSource(root=template.resolve()) if template else None,
        )
    except ScaffoldError as exc:
        fail(exc)
    report.print_update(console(), result)
    if result.conflicts and not pretend:
        raise typer.Exit(1)


@app.command()
def matrix(
    strategy: Annotated[
        str, typer.Option("--strategy", "-s", help="each | pairwise | all.")
    ] = "pairwise",
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table | json | github | gitlab | data.")
    ] = "table",
    include: Annotated[
        list[str] | None,
        typer.Option(
            "--include",
            "-i",
            metavar="KEY=VALUE",
            help="Pin a factor (repeatable).",
            autocompletion=completion.complete_data,
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Size guard for --strategy all.")] = 5000,
) -> None:
    """Covering set of answer combinations computed from copier.yml (valid rows only)."""
    from aiarch_scaffold import answers, report
    from aiarch_scaffold import matrix as matrix_module

    try:
        if fmt not in matrix_module.FORMATS:
            raise UsageError(f"unknown format {fmt!r}; allowed: {', '.join(matrix_module.FORMATS)}")
        rows = matrix_module.compute(
            strategy, includes=answers.parse_data_pairs(include or []), limit=limit
        )
    except ScaffoldError as exc:
        fail(exc)
    if fmt == "table":
        console().print(report.matrix_table(rows, strategy))
    else:
        print(matrix_module.render(rows, fmt))


# ---------------------------------------------------------------- aiarch add (issue 14)
add_app = typer.Typer(
    cls=_AiarchGroup,
    help="Add a component to a generated project: a service, or any copier/cookiecutter template.",
    invoke_without_command=True,
)
app.add_typer(add_app, name="add")
ProjectOption = Annotated[
    Path, typer.Option("--path", "-C", help="The generated project (default: here).")
]


def _service_kinds() -> list[str]:
    from aiarch_scaffold.components import service_kinds

    return service_kinds()


def _print_added(added: Any) -> None:
    typer.echo(f"Added {len(added.created)} file(s) to {added.project}")
    if added.edited:
        typer.echo(f"Updated: {', '.join(added.edited)}")
    if added.unwired:
        typer.echo(
            f"Add {added.name} by hand to (edited lines not found): {', '.join(added.unwired)}"
        )
    typer.echo("Next: make install && make check && make test, then commit.")


@add_app.callback()
def add(
    ctx: typer.Context,
    source: Annotated[
        str | None,
        typer.Option("--from", metavar="PATH_OR_URL", help="A copier or cookiecutter template."),
    ] = None,
    path: ProjectOption = Path(),
    data: DataOption = None,
) -> None:
    """Add a component; `aiarch add service NAME --kind KIND`, or `aiarch add --from SRC`."""
    from aiarch_scaffold import answers, components

    if ctx.invoked_subcommand is not None:
        if source is not None:
            fail(UsageError("--from adds a template of its own; drop the subcommand"))
        return
    if source is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)
    _interrupt_on_sigterm()
    try:
        added = components.add_from(path, source, answers.parse_data_pairs(data or []))
    except ScaffoldError as exc:
        fail(exc)
    _print_added(added)


@add_app.command("service")
def add_service(
    name: Annotated[str, typer.Argument(help="Service name: services/NAME, package NAME.")],
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            "-k",
            help="What the service is (the choices of components/service/copier.yml).",
            autocompletion=_service_kinds,
        ),
    ],
    path: ProjectOption = Path(),
    summary: Annotated[
        str | None, typer.Option("--summary", help="One sentence describing the service.")
    ] = None,
) -> None:
    """Add a service (package, Dockerfile, tests, Make/CI/Kubernetes wiring, metrics, ADR)."""
    from aiarch_scaffold import components

    _interrupt_on_sigterm()
    try:
        added = components.add_service(path, name, kind, summary=summary)
    except ScaffoldError as exc:
        fail(exc)
    _print_added(added)


@app.command()
def audit(
    path: Annotated[Path, typer.Argument(help="Repository to audit (generated or not).")] = Path(),
    fmt: Annotated[str, typer.Option("--format", "-f", help="markdown | json.")] = "markdown",
    fail_under: Annotated[
        int | None,
        typer.Option("--fail-under", metavar="N", min=0, max=100, help="Exit 1 if score < N."),
    ] = None,
) -> None:
    """Score a repository against the target architecture; name what closes each gap."""
    from aiarch_scaffold import audit as audit_module

    if fmt not in ("markdown", "json"):
        fail(UsageError(f"unknown format {fmt!r}; allowed: markdown, json"))
    result = audit_module.audit(path)
    print(audit_module.to_json(result) if fmt == "json" else audit_module.to_markdown(result))
    if fail_under is not None and result.score < fail_under:
        raise typer.Exit(1)


export_app = typer.Typer(
    cls=_AiarchGroup,
    no_args_is_help=True,
    help="Export the kit to other tools (developer portals).",
)
app.add_typer(export_app, name="export")


@export_app.command("backstage")
def export_backstage(
    dest: Annotated[Path, typer.Argument(help="Folder to write template.yaml and skeleton/ to.")],
    owner: Annotated[str, typer.Option("--owner", help="Backstage owner of the template.")] = (
        "platform-team"
    ),
    force: Annotated[bool, typer.Option("--force", help="Replace a non-empty DEST.")] = False,
) -> None:
    """Write a Backstage software template whose form is generated from copier.yml."""
    from aiarch_scaffold import backstage

    for path in backstage.export(dest, owner=owner, force=force):
        typer.echo(f"wrote {path}")


presets_app = typer.Typer(
    cls=_AiarchGroup, no_args_is_help=True, help="Named answer profiles for `aiarch new --preset`."
)
app.add_typer(presets_app, name="presets")
PresetDirOption = Annotated[
    Path | None, typer.Option("--preset-dir", help="Folder of team presets (NAME.yml).")
]


@presets_app.command("list")
def presets_list(preset_dir: PresetDirOption = None) -> None:
    """Every preset: name, source (preset-dir, team, config or kit) and description."""
    from aiarch_scaffold import presets

    listed = presets.listing(preset_dir)
    width = max((len(item.preset.name) for item in listed), default=0)
    for item in listed:
        about = f"INVALID: {item.problem}" if item.problem else item.preset.description
        typer.echo(f"{item.preset.name:<{width}}  {item.preset.source:<10}  {about}")


@presets_app.command("show")
def presets_show(name: str, preset_dir: PresetDirOption = None) -> None:
    """Print a preset's answers (a valid --answers-file), validated against copier.yml."""
    from aiarch_scaffold import presets

    typer.echo(presets.as_yaml(presets.load(name, preset_dir)), nl=False)


@app.command()
def doctor(
    path: Annotated[Path, typer.Argument(help="Generated project to check.")] = Path(),
    deploy: Annotated[
        bool,
        typer.Option("--deploy", help="Count deploy tools (IaC, cloud CLI, docker) as required."),
    ] = False,
) -> None:
    """What this machine lacks to run a generated project, with install hints; exit 1 if any."""
    from aiarch_scaffold import doctor as doctor_module

    findings = doctor_module.examine(path, deploy=deploy)
    typer.echo(doctor_module.render(findings))
    if doctor_module.missing_required(findings):
        raise typer.Exit(1)
