"""Atomic writes, checksums and checked reads of lake files.

Every service writes through these helpers so a reader (another service, a dashboard,
node-exporter) sees the old version of a file or folder or the new one, never a half-written one.
"""

import hashlib
import json
import shutil
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

_CHUNK = 1 << 20


class TableError(ValueError):
    """A table cannot be read as required: missing, unreadable, or without needed columns."""


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks so large batches don't need to fit in memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _hidden_sibling(path: Path, role: str) -> Path:
    # Dot-prefixed and unique: invisible to ``latest_partition`` and other readers' globs, and
    # in the same folder so the final rename is atomic.
    return path.with_name(f".{role}-{path.name}-{uuid.uuid4().hex}")


def write_atomic(path: Path, write: Callable[[Path], object], *, mode: int | None = None) -> Path:
    """Run ``write(temporary_path)`` and rename the result onto ``path``; return ``path``.

    The temporary file is created by ``write`` itself, so it gets the usual umask-based
    permissions other users' processes can read; ``mode`` forces explicit ones.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _hidden_sibling(path, "tmp")
    try:
        write(temporary)
        if mode is not None:
            temporary.chmod(mode)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def write_parquet_atomic(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` (without its index) to ``path`` atomically."""
    # pyarrow explicitly: the same frame must give the same bytes, hence the same checksum.
    return write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False, engine="pyarrow"))


def write_text_atomic(text: str, path: Path, *, mode: int | None = None) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically (``mode``: see ``write_atomic``)."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), mode=mode)


def write_json_atomic(payload: Any, path: Path) -> Path:
    """Write ``payload`` as stable, diff-friendly JSON (sorted keys, indented) atomically."""
    return write_text_atomic(
        json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n", path
    )


@contextmanager
def replacing_dir(target: Path) -> Iterator[Path]:
    """Yield an empty staging folder that replaces ``target`` as a whole when the block succeeds.

    Readers never see a mix of old and new files: the old folder is renamed away and the staging
    folder renamed into place (two atomic steps in one parent folder); the old one is deleted
    only afterwards. If the block raises, the staging folder is removed and ``target`` is kept.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = _hidden_sibling(target, "staging")
    staging.mkdir()
    retired: Path | None = None
    try:
        yield staging
        retired = _retire(target)
        staging.rename(target)
    except BaseException:
        if retired is not None and not target.exists():
            retired.rename(target)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if retired is not None:
        shutil.rmtree(retired)


def remove_dir_atomic(target: Path) -> bool:
    """Delete the folder ``target`` so readers stop seeing it at once; True if it existed."""
    retired = _retire(target)
    if retired is None:
        return False
    shutil.rmtree(retired)
    return True


def _retire(target: Path) -> Path | None:
    """Rename ``target`` out of the way (one atomic step) and return where it went."""
    if not target.exists():
        return None
    retired = _hidden_sibling(target, "retired")
    target.rename(retired)
    return retired


def read_table(path: Path, *, what: str, columns: Sequence[str] = ()) -> pd.DataFrame:
    """Read a parquet table that must have ``columns``; ``what`` names it in errors.

    Raises ``TableError`` with one line a user can act on instead of a pyarrow traceback.
    """
    if not path.is_file():
        raise TableError(f"{what} not found: {path}")
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise TableError(f"{what} unreadable ({path}): {exc}") from exc
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise TableError(f"{what}: missing columns {', '.join(missing)} in {path}")
    return frame
