"""The release record: which commit each released template version is.

Git tags are not part of what is submitted, so ``releases.toml`` in the repository (and in the
wheel, next to the template) is the record. The wheel's history bundle gets its ``vX.Y.Z`` tags
from it, ``aiarch update --to VERSION`` resolves versions through it, and the previous-release
test renders from it. See docs/updating.md ("Cutting a release").

Stdlib and ``packaging`` only: the build hook (hatch_build.py) imports this module too.
"""

from __future__ import annotations

import datetime
import itertools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from aiarch_scaffold.errors import ScaffoldError, UsageError

RECORD_FILE = "releases.toml"
_SHA = re.compile(r"[0-9a-f]{40}")
_PACKAGED = Path(__file__).resolve().parent / "_template" / RECORD_FILE
_CHECKOUT = Path(__file__).resolve().parents[2] / RECORD_FILE


@dataclass(frozen=True)
class Release:
    version: Version
    commit: str
    date: datetime.date
    summary: str

    @property
    def tag(self) -> str:
        """The git tag name copier sees for this release (``vX.Y.Z``)."""
        return f"v{self.version}"


def _release(entry: object, where: str) -> Release:
    if not isinstance(entry, dict) or set(entry) != {"version", "commit", "date", "summary"}:
        raise ScaffoldError(f"{where}: needs exactly version, commit, date, summary")
    try:
        version = Version(str(entry["version"]))
    except InvalidVersion as exc:
        raise ScaffoldError(f"{where}: {entry['version']!r} is not a PEP 440 version") from exc
    if str(version) != entry["version"] or version.is_prerelease or version.is_postrelease:
        raise ScaffoldError(f"{where}: version {entry['version']!r} must be plain X.Y.Z")
    commit = entry["commit"]
    if not isinstance(commit, str) or not _SHA.fullmatch(commit):
        raise ScaffoldError(f"{where}: commit must be a full 40-character lowercase SHA")
    date = entry["date"]
    if not isinstance(date, datetime.date) or isinstance(date, datetime.datetime):
        raise ScaffoldError(f"{where}: date must be a TOML date (YYYY-MM-DD)")
    summary = entry["summary"]
    if not isinstance(summary, str) or not summary.strip():
        raise ScaffoldError(f"{where}: summary must be a non-empty string")
    return Release(version, commit, date, summary.strip())


def parse(text: str, source: str = RECORD_FILE) -> tuple[Release, ...]:
    """Releases oldest first; refuses a record that is malformed or not strictly increasing."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScaffoldError(f"{source}: {exc}") from exc
    entries = data.get("release", [])
    if set(data) - {"release"} or not isinstance(entries, list):
        raise ScaffoldError(f"{source}: only [[release]] tables are allowed")
    releases = tuple(_release(entry, f"{source} release {n}") for n, entry in enumerate(entries, 1))
    for older, newer in itertools.pairwise(releases):
        if newer.version <= older.version:
            raise ScaffoldError(
                f"{source}: versions must increase: {newer.version} follows {older.version}"
            )
        if newer.date < older.date:
            raise ScaffoldError(f"{source}: {newer.version} is dated before {older.version}")
    if len({r.commit for r in releases}) != len(releases):
        raise ScaffoldError(f"{source}: a commit is recorded for two versions")
    return releases


def load(path: Path) -> tuple[Release, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScaffoldError(f"cannot read the release record {path}: {exc.strerror}") from exc
    return parse(text, str(path))


def installed() -> tuple[Release, ...]:
    """The record shipped with this kit: the wheel's copy, else the checkout's; none if absent."""
    for path in (_PACKAGED, _CHECKOUT):
        if path.is_file():
            return load(path)
    return ()


def as_version(text: str) -> Version | None:
    """``0.1.0`` and ``v0.1.0`` name the same version; anything else (a SHA, a branch) is None."""
    try:
        return Version(text)
    except InvalidVersion:
        return None


def find(releases: tuple[Release, ...], text: str) -> Release:
    """The release ``text`` names; a one-line error listing the known ones otherwise."""
    wanted = as_version(text)
    for release in releases:
        if wanted is not None and release.version == wanted:
            return release
    known = ", ".join(str(r.version) for r in releases) or "none recorded"
    raise UsageError(f"unknown version {text!r}; released versions: {known}")


__all__ = ["RECORD_FILE", "Release", "as_version", "find", "installed", "load", "parse"]
