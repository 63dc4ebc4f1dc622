"""Renders a project atomically: into a staging folder next to the destination, then moved in."""

from __future__ import annotations

import contextlib
import io
import secrets
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import yaml
from copier.errors import CopierAnswersInterrupt, CopierError, InteractiveSessionError

from aiarch_scaffold import answers as answer_checks
from aiarch_scaffold import copier_adapter
from aiarch_scaffold.errors import ScaffoldError, UsageError
from aiarch_scaffold.questions import computed_names, parse_questions
from aiarch_scaffold.template_source import TemplateSource, default_source, template_root

STAGING_PREFIX = ".aiarch-staging-"
ANSWERS_FILE = ".copier-answers.yml"


@dataclass(frozen=True)
class Generated:
    destination: Path
    answers: dict[str, Any]
    files: int
    seconds: float
    # The values copier.yml computes from the answers (`when: false`), as rendered.
    computed: dict[str, Any] = field(default_factory=dict)


def check_destination(destination: Path, *, force: bool) -> None:
    """Refuse destinations we must not write to; called before any prompt and before moving in."""
    if ".." in destination.parts:
        raise UsageError(f"destination {destination} must not contain '..'; pass a plain path")
    resolved = destination.resolve()
    if resolved == Path(resolved.anchor) or resolved == Path.home():
        raise UsageError(f"refusing to generate into {resolved}")
    if resolved.is_relative_to(template_root().resolve()):
        raise UsageError(f"destination {resolved} is inside the template itself")
    if resolved.exists() and not resolved.is_dir():
        raise UsageError(f"destination {destination} exists and is not a directory")
    if resolved.is_dir() and any(resolved.iterdir()) and not force:
        raise UsageError(f"destination {destination} is not empty; pass --force to overwrite")
    if not resolved.parent.is_dir():
        raise UsageError(f"parent folder {resolved.parent} does not exist")


def default_destination(parent: Path, answers: Mapping[str, Any]) -> Path:
    return parent / str(answers["project_slug"]).replace("_", "-")


def record_source(project: Path, url: str, ref: str) -> None:
    """Point the answers file at the template's git history instead of a plain folder."""
    answers_file = project / ANSWERS_FILE
    text = answers_file.read_text(encoding="utf-8")
    header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
    recorded = yaml.safe_load(text) or {}
    recorded.update({"_src_path": url, "_commit": ref})
    answers_file.write_text(header + yaml.safe_dump(recorded, sort_keys=True), encoding="utf-8")


def _move_into(staging: Path, destination: Path) -> None:
    if not destination.exists():
        staging.rename(destination)
        return
    if not any(destination.iterdir()):
        destination.rmdir()
        staging.rename(destination)
        return
    # --force into a non-empty folder: replace entry by entry; the user asked for it.
    for entry in staging.iterdir():
        target = destination / entry.name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        entry.rename(target)
    staging.rmdir()


def _translate(exc: BaseException) -> ScaffoldError:
    if isinstance(exc, ScaffoldError):
        return exc
    if isinstance(exc, (KeyboardInterrupt, CopierAnswersInterrupt)):
        return ScaffoldError("interrupted; nothing was written", exit_code=130)
    if isinstance(exc, InteractiveSessionError):
        return UsageError("no terminal to ask questions; pass --defaults and --data/--answers-file")
    invalid = copier_adapter.validation_message(exc)
    if invalid is not None:
        return UsageError(f"invalid answer for {invalid[0]!r}: {invalid[1]}")
    if isinstance(exc, jinja2.TemplateError):
        return ScaffoldError(f"template failed to render: {exc}")
    if isinstance(exc, (CopierError, ValueError, OSError)):
        return ScaffoldError(f"generation failed: {exc}")
    return ScaffoldError(f"generation failed: {type(exc).__name__}: {exc}")


def create_project(
    destination: Path | None,
    data: Mapping[str, Any] | None = None,
    *,
    interactive: bool = False,
    force: bool = False,
    source: TemplateSource | None = None,
) -> Generated:
    """Render the template into ``destination`` (default: ./<slug>) or leave nothing behind."""
    started = time.perf_counter()
    source = source or default_source()
    root = source.root
    data = dict(data or {})
    answer_checks.check_plain_text(data)
    if destination is not None:
        check_destination(destination, force=force)
    parent = (destination.resolve().parent if destination is not None else Path.cwd()).resolve()

    # copier prints version notes to stderr even when quiet; our errors are the only output.
    notes = io.StringIO()
    # Named before it exists, so a signal right after mkdir still finds it to clean up.
    staging = parent / f"{STAGING_PREFIX}{secrets.token_hex(6)}"
    try:
        staging.mkdir(mode=0o700)
        with (
            contextlib.redirect_stderr(notes),
            copier_adapter.open_worker(
                root,
                vcs_ref=source.vcs_ref,
                dst_path=staging,
                data=data,
                defaults=not interactive,
                overwrite=True,
                cleanup_on_error=False,
            ) as worker,
        ):
            copier_adapter.memoize_string_templates(worker)
            config = copier_adapter.questions_data(worker)
            answer_checks.check_not_computed(data, computed_names(config))
            questions = parse_questions(config)
            answer_checks.check_known(data, questions)
            answer_checks.check_choices(data, questions)
            # copier validates only answers given as data; defaults derived from other
            # answers (a long slug from a long name) are validated here too.
            resolved = copier_adapter.resolve_answers(worker)
            computed = copier_adapter.computed_answers(worker, computed_names(config))
            answer_checks.check_plain_text(resolved)
            if destination is None:
                destination = default_destination(parent, resolved)
                check_destination(destination, force=force)
            copier_adapter.render_copy(worker, resolved)
        if source.record_url and source.record_ref:
            record_source(staging, source.record_url, source.record_ref)
        files = sum(1 for path in staging.rglob("*") if path.is_file())
        _move_into(staging, destination.resolve())
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise _translate(exc) from exc
    return Generated(destination, resolved, files, time.perf_counter() - started, computed)


def leftover_staging(parent: Path) -> list[Path]:
    """Staging folders under ``parent`` (a test and debugging aid: there should be none)."""
    return sorted(parent.glob(f"{STAGING_PREFIX}*"))


__all__ = ["Generated", "check_destination", "create_project", "leftover_staging"]
