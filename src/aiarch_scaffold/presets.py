"""Presets: named answer profiles, and organisation-wide defaults from the user's config.

A preset is a YAML answers file; keys starting with '_' are metadata (``_description``), so a
preset is also a valid ``--answers-file``. Presets are found, first match wins, in:

1. ``--preset-dir DIR`` (a team's folder of ``NAME.yml`` files),
2. ``$XDG_CONFIG_HOME/aiarch/presets/`` (default ``~/.config/aiarch/presets/``),
3. the ``presets:`` mapping of ``$XDG_CONFIG_HOME/aiarch/config.yml``,
4. the presets shipped with the kit.

``config.yml`` also holds ``defaults:`` (e.g. ``organisation: acme``, ``cloud_region:
eu-central-1``, ``codeowners_team: '@acme/ml-platform'``), applied under every preset; a
default for a question a project does not ask (the region of a local project) is left out.
``aiarch new`` layers: config defaults < preset < --answers-file < --data.
Every preset and the defaults are validated against copier.yml when loaded: unknown key,
unknown choice, a failed validator or an invalid combination is one error line naming the file
and the key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from aiarch_scaffold import answers as answer_checks
from aiarch_scaffold import copier_adapter
from aiarch_scaffold.errors import UsageError

SHIPPED_DIR = Path(__file__).resolve().parent / "_presets"
CONFIG_KEYS = ("defaults", "presets")
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True)
class Preset:
    """One named answer profile and where it was found."""

    name: str
    source: str  # preset-dir | team | config | kit
    origin: str  # the file (and key, for config presets) to name in errors
    answers: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    path: Path | None = None  # the answers file itself, when the preset is one file
    problem: str = ""  # why the file could not be read; raised when the preset is used


def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base) / "aiarch"


def _read_yaml(path: Path, what: str) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise UsageError(f"{what} {path} is not valid YAML{where}") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise UsageError(f"{what} {path} must be a mapping")
    return {str(key): value for key, value in loaded.items()}


def _split(raw: Mapping[str, Any], origin: str) -> tuple[dict[str, Any], str]:
    """(answers, description): '_' keys are metadata; only _description is known."""
    meta = {key: value for key, value in raw.items() if key.startswith("_")}
    unknown = sorted(set(meta) - {"_description"})
    if unknown:
        raise UsageError(f"preset {origin}: unknown key {unknown[0]!r}; allowed: _description")
    description = meta.get("_description", "")
    if not isinstance(description, str):
        raise UsageError(f"preset {origin}: _description must be a string")
    answers = {key: value for key, value in raw.items() if not key.startswith("_")}
    return answers, " ".join(description.split())


def read_config(directory: Path | None = None) -> dict[str, Any]:
    """``config.yml`` as a mapping ({} when there is none); unknown top-level keys refused."""
    path = (directory or config_dir()) / "config.yml"
    if not path.is_file():
        return {}
    config = _read_yaml(path, "config file")
    unknown = sorted(set(config) - set(CONFIG_KEYS))
    if unknown:
        raise UsageError(
            f"config file {path}: unknown key {unknown[0]!r}; allowed: {', '.join(CONFIG_KEYS)}"
        )
    for key in CONFIG_KEYS:
        if config.get(key) is not None and not isinstance(config[key], dict):
            raise UsageError(f"config file {path}: {key} must be a mapping")
    return config


def _from_folder(folder: Path, source: str) -> Iterator[Preset]:
    if not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):
        if path.suffix not in SUFFIXES or not path.is_file() or not NAME.match(path.stem):
            continue
        try:
            answers, description = _split(_read_yaml(path, "preset"), str(path))
        except UsageError as exc:  # one unreadable file must not hide the other presets
            yield Preset(path.stem, source, str(path), path=path, problem=exc.message)
            continue
        yield Preset(path.stem, source, str(path), answers, description, path)


def _from_config(config: Mapping[str, Any], directory: Path) -> Iterator[Preset]:
    path = directory / "config.yml"
    for name, raw in (config.get("presets") or {}).items():
        origin = f"{path} (presets.{name})"
        if not NAME.match(str(name)):
            raise UsageError(f"preset {origin}: name must be lowercase letters, digits or '-'")
        if not isinstance(raw, dict):
            raise UsageError(f"preset {origin} must be a mapping of question: answer")
        answers, description = _split({str(k): v for k, v in raw.items()}, origin)
        yield Preset(str(name), "config", origin, answers, description)


def discover(preset_dir: Path | None = None, directory: Path | None = None) -> list[Preset]:
    """Every preset by name, the first found winning, sorted by name (unvalidated)."""
    directory = directory or config_dir()
    if preset_dir is not None and not preset_dir.is_dir():
        raise UsageError(f"--preset-dir {preset_dir} is not a folder")
    found: dict[str, Preset] = {}
    layers = [
        _from_folder(preset_dir, "preset-dir") if preset_dir is not None else iter(()),
        _from_folder(directory / "presets", "team"),
        _from_config(read_config(directory), directory),
        _from_folder(SHIPPED_DIR, "kit"),
    ]
    for layer in layers:
        for preset in layer:
            found.setdefault(preset.name, preset)
    return [found[name] for name in sorted(found)]


class Validator:
    """Checks answer mappings against copier.yml with copier itself (one worker, reused)."""

    def __init__(self, worker: Any) -> None:
        from aiarch_scaffold.questions import parse_questions

        self.worker = worker
        self.questions = [
            q for q in parse_questions(copier_adapter.questions_data(worker)) if not q.is_computed
        ]

    def check(self, answers: Mapping[str, Any], origin: str, *, defaults: bool = False) -> None:
        """One-line UsageError naming ``origin`` and the key when ``answers`` is not valid.

        ``defaults``: organisation defaults may answer questions their own answers do not ask
        (``cloud_region`` without a ``cloud``): those apply to the projects that ask them.
        """
        try:
            answer_checks.check_known(answers, self.questions)
            answer_checks.check_choices(answers, self.questions)
            answer_checks.check_plain_text(answers)
        except UsageError as exc:
            raise UsageError(f"{origin}: {exc.message}") from exc
        evaluation = copier_adapter.evaluate(self.worker, answers)
        if not evaluation.valid:
            invalid = copier_adapter.validation_message(ValueError(evaluation.error or ""))
            key, message = invalid or ("?", evaluation.error or "invalid")
            raise UsageError(f"{origin}: invalid answer for {key!r}: {message}")
        ignored = sorted(set(answers) & evaluation.hidden)
        if ignored and not defaults:
            raise UsageError(
                f"{origin}: {ignored[0]!r} is not asked with these answers (its 'when' is false)"
            )

    def unasked(self, answers: Mapping[str, Any]) -> frozenset[str]:
        """The questions ``answers`` leave unasked (their ``when`` is false)."""
        return copier_adapter.evaluate(self.worker, answers).hidden


@contextmanager
def validator() -> Iterator[Validator]:
    from aiarch_scaffold.matrix import Evaluator
    from aiarch_scaffold.template_source import default_source

    source = default_source()
    evaluator = Evaluator(source.root, source.vcs_ref)
    try:
        yield Validator(evaluator.worker)
    finally:
        evaluator.close()


def org_defaults(check: Validator, directory: Path | None = None) -> dict[str, Any]:
    """The ``defaults:`` of config.yml, validated."""
    directory = directory or config_dir()
    defaults = dict(read_config(directory).get("defaults") or {})
    check.check(defaults, f"config file {directory / 'config.yml'} (defaults)", defaults=True)
    return defaults


def find(name: str, preset_dir: Path | None = None, directory: Path | None = None) -> Preset:
    presets = {preset.name: preset for preset in discover(preset_dir, directory)}
    if name not in presets:
        raise UsageError(f"unknown preset {name!r}; available: {', '.join(sorted(presets))}")
    if presets[name].problem:
        raise UsageError(presets[name].problem)
    return presets[name]


def load(
    name: str,
    preset_dir: Path | None = None,
    directory: Path | None = None,
    check: Validator | None = None,
) -> Preset:
    """The preset called ``name``, validated (on its own) against copier.yml."""
    preset = find(name, preset_dir, directory)
    if check is not None:
        check.check(preset.answers, f"preset {preset.origin}")
        return preset
    with validator() as fresh:
        fresh.check(preset.answers, f"preset {preset.origin}")
    return preset


def layered_answers(
    *,
    preset: str | None = None,
    preset_dir: Path | None = None,
    answers_file: Path | None = None,
    data: Mapping[str, Any] | None = None,
    directory: Path | None = None,
) -> dict[str, Any]:
    """What `aiarch new` passes on: config defaults < preset < answers file < data."""
    layers: list[Mapping[str, Any]] = []
    given: list[Mapping[str, Any]] = []
    if answers_file is not None:
        given.append(answer_checks.load_answers_file(answers_file))
    given.append(data or {})
    config = read_config(directory)
    if config.get("defaults") or preset is not None:
        with validator() as check:
            defaults = org_defaults(check, directory)
            if preset is not None:
                layers.append(load(preset, preset_dir, directory, check).answers)
            if defaults:
                # A default for a question this project does not ask (the region of a local
                # project) is left out; copier validates the others with the final answers.
                unasked = check.unasked(answer_checks.merge(defaults, *layers, *given))
                defaults = {key: value for key, value in defaults.items() if key not in unasked}
            layers.insert(0, defaults)
    return answer_checks.merge(*layers, *given)


@dataclass(frozen=True)
class Listed:
    preset: Preset
    problem: str = ""  # the validation error, when the preset is invalid


def listing(preset_dir: Path | None = None, directory: Path | None = None) -> list[Listed]:
    """Every preset with its validation problem, if any (one bad preset hides no other)."""
    presets = discover(preset_dir, directory)
    listed = []
    with validator() as check:
        for preset in presets:
            if preset.problem:
                listed.append(Listed(preset, preset.problem))
                continue
            try:
                check.check(preset.answers, f"preset {preset.origin}")
            except UsageError as exc:
                listed.append(Listed(preset, exc.message))
            else:
                listed.append(Listed(preset))
    return listed


def as_yaml(preset: Preset) -> str:
    """The preset's answers as an answers file (what `aiarch presets show` prints)."""
    header = f"# {preset.name} ({preset.source}: {preset.origin})\n"
    if preset.description:
        header += yaml.safe_dump({"_description": preset.description}, width=1000)
    body = yaml.safe_dump(preset.answers, sort_keys=False) if preset.answers else ""
    return header + body


__all__ = [
    "SHIPPED_DIR",
    "Listed",
    "Preset",
    "Validator",
    "as_yaml",
    "config_dir",
    "discover",
    "find",
    "layered_answers",
    "listing",
    "load",
    "org_defaults",
    "read_config",
    "validator",
]
