"""The one filesystem layer of the lake: atomic writes, checksums and checked reads.

The lake is a local folder by default (``data/lake``) and an object store in the cloud
(``s3://``, ``gs://``, ``abfs://`` through fsspec). Every service reads and writes through
these helpers, which take a ``LakePath``: a ``pathlib.Path`` for a local folder, a ``UPath``
(fsspec) for any URL. Write callbacks and staging folders are always local, so producing a
file never depends on where it ends up.

A reader (another service, a dashboard, node-exporter) sees the old version of a file or
folder or the new one, never a half-written one: locally by renames, on an object store
because one object is replaced as a whole by its upload and a folder's metadata files
(``_manifest.json``) are uploaded last, so a reader racing a writer gets a checksum mismatch,
never silently mixed data.
"""

import hashlib
import json
import os
import posixpath
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import fsspec
from upath import UPath

if TYPE_CHECKING:
    # pandas is imported where a table is read or written: the prediction API imports this
    # module (through Settings) and never needs it.
    import pandas as pd

_CHUNK = 1 << 20

LakePath: TypeAlias = Path | UPath
"""A file or folder of the lake: local (``Path``) or in an object store (``UPath``)."""

# Credentials never come from the URL: the cloud SDK's default chain (workload identity).
_STORAGE_OPTIONS: dict[str, dict[str, Any]] = {
    protocol: {"anon": False} for protocol in ("abfs", "abfss", "az")
}


class TableError(ValueError):
    """A table cannot be read as required: missing, unreadable, or without needed columns."""


class StorageConfigError(ValueError):
    """A lake location that cannot be used: unknown scheme or its filesystem not installed."""


def lake_path(location: str | os.PathLike[str]) -> LakePath:
    """``Path`` for a folder (or ``file://`` URL), ``UPath`` for an fsspec URL such as
    ``s3://bucket/lake``; raises ``StorageConfigError`` when the scheme is unusable here."""
    text = os.fspath(location)
    if "://" not in text:
        return Path(text)
    protocol = text.split("://", 1)[0].lower()
    if protocol in ("file", "local"):
        return Path(text.split("://", 1)[1])
    try:
        fsspec.get_filesystem_class(protocol)
    except (ImportError, ValueError) as exc:
        raise StorageConfigError(f"cannot use lake location {text!r}: {exc}") from exc
    return UPath(text, **_STORAGE_OPTIONS.get(protocol, {}))


def is_local(path: LakePath) -> bool:
    """True for a path on this machine's filesystem (renames are atomic there)."""
    return isinstance(path, Path)


def sha256_file(path: LakePath) -> str:
    """Hex sha256 of a file, read in chunks so large batches don't need to fit in memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def read_parquet(path: LakePath) -> "pd.DataFrame":
    """Read one parquet file from the lake, wherever it is."""
    import pandas as pd

    with path.open("rb") as handle:
        return pd.read_parquet(handle)


def _hidden_sibling(path: Path, role: str) -> Path:
    # Dot-prefixed and unique: invisible to ``latest_partition`` and other readers' globs, and
    # in the same folder so the final rename is atomic.
    return path.with_name(f".{role}-{path.name}-{uuid.uuid4().hex}")


def write_atomic(
    path: LakePath, write: Callable[[Path], object], *, mode: int | None = None
) -> LakePath:
    """Run ``write(temporary_path)`` and rename (or upload) the result onto ``path``.

    ``temporary_path`` is always local. The temporary file is created by ``write`` itself, so
    it gets the usual umask-based permissions other users' processes can read; ``mode`` forces
    explicit ones (local files only: object stores have no file modes). Returns ``path``.
    """
    if not isinstance(path, Path):
        with tempfile.TemporaryDirectory(prefix="lake-") as folder:
            temporary = Path(folder) / path.name
            write(temporary)
            # One PUT: the object is replaced as a whole or not at all.
            path.fs.put_file(str(temporary), path.path)
        return path
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


def write_parquet_atomic(frame: "pd.DataFrame", path: LakePath) -> LakePath:
    """Write ``frame`` (without its index) to ``path`` atomically."""
    # pyarrow explicitly: the same frame must give the same bytes, hence the same checksum.
    return write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False, engine="pyarrow"))


def write_text_atomic(text: str, path: LakePath, *, mode: int | None = None) -> LakePath:
    """Write ``text`` as UTF-8 to ``path`` atomically (``mode``: see ``write_atomic``)."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), mode=mode)


def write_json_atomic(payload: Any, path: LakePath) -> LakePath:
    """Write ``payload`` as stable, diff-friendly JSON (sorted keys, indented) atomically."""
    return write_text_atomic(
        json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n", path
    )


@contextmanager
def replacing_dir(target: LakePath) -> Iterator[Path]:
    """Yield an empty local staging folder that replaces ``target`` as a whole when the block
    succeeds. If the block raises, the staging folder is removed and ``target`` is kept.

    Locally, readers never see a mix of old and new files: the old folder is renamed away and
    the staging folder renamed into place (two atomic steps in one parent folder); the old one
    is deleted only afterwards. On an object store, see ``publish_dir``.
    """
    if not isinstance(target, Path):
        with tempfile.TemporaryDirectory(prefix="lake-staging-") as folder:
            yield Path(folder)
            publish_dir(Path(folder), target)
        return
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


def publish_dir(staging: Path, target: UPath) -> None:
    """Make the object-store folder ``target`` hold exactly the files of the local ``staging``.

    Data files are uploaded first and metadata files (``_*``, such as ``_manifest.json``) last,
    then objects the new version no longer has are deleted. A reader that lists the folder in
    between finds new data with the old manifest: its checksum check fails loudly.
    """
    files = [path.relative_to(staging).as_posix() for path in staging.rglob("*") if path.is_file()]
    _replace_objects(
        target, files, lambda relative, key: target.fs.put_file(str(staging / relative), key)
    )


def _replace_objects(
    target: UPath, relatives: list[str], transfer: Callable[[str, str], object]
) -> None:
    """Make the object-store folder ``target`` hold exactly ``relatives``: ``transfer(relative,
    key)`` writes each (data first, metadata ``_*`` last), then objects no longer listed go."""
    fs, root = target.fs, target.path.rstrip("/")
    stale = {posixpath.relpath(found, root) for found in fs.find(root)} - set(relatives)
    for relative in sorted(
        relatives, key=lambda relative: (posixpath.basename(relative).startswith("_"), relative)
    ):
        transfer(relative, f"{root}/{relative}")
    if stale:
        fs.rm([f"{root}/{relative}" for relative in sorted(stale)])


def remove_dir_atomic(target: LakePath) -> bool:
    """Delete the folder ``target`` so readers stop seeing it at once; True if it existed.

    On an object store the objects go one by one, metadata (``_*``) first, so a reader sees
    the folder without its manifest (unverifiable, refused) rather than a partial table.
    """
    if not isinstance(target, Path):
        fs, root = target.fs, target.path.rstrip("/")
        if not fs.exists(root):
            return False
        found = sorted(fs.find(root), key=lambda key: not posixpath.basename(key).startswith("_"))
        for key in found:
            fs.rm_file(key)
        return bool(found)
    retired = _retire(target)
    if retired is None:
        return False
    shutil.rmtree(retired)
    return True


def move_dir(staged: LakePath, target: LakePath) -> None:
    """Replace the folder ``target`` by the folder ``staged`` (both in the lake), removing
    ``staged``. Safe to repeat after a crash: ``staged`` goes last, so a rerun finishes the move.

    Locally two renames (see ``replacing_dir``); on an object store the objects are copied
    (metadata ``_*`` last, as in ``publish_dir``), extras under ``target`` deleted, then
    ``staged`` removed.
    """
    if isinstance(staged, Path) and isinstance(target, Path):
        retired = _retire(target)
        staged.rename(target)
        if retired is not None:
            shutil.rmtree(retired)
        return
    if isinstance(staged, Path) or isinstance(target, Path):
        raise ValueError(f"cannot move {staged} to {target}: both must be in the same lake")
    fs, source = staged.fs, staged.path.rstrip("/")
    found = [posixpath.relpath(key, source) for key in fs.find(source)]
    _replace_objects(target, found, lambda relative, key: fs.copy(f"{source}/{relative}", key))
    fs.rm(source, recursive=True)


def move_file(source: LakePath, target: LakePath) -> None:
    """Move one file within the lake (an atomic rename locally, copy + delete elsewhere)."""
    if isinstance(source, Path) and isinstance(target, Path):
        source.replace(target)
        return
    source.fs.copy(source.path, target.path)
    source.fs.rm_file(source.path)


def remove_tree(path: LakePath) -> None:
    """Delete a folder or file of the lake if it exists (no error when it does not)."""
    if isinstance(path, Path):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        return
    if path.fs.exists(path.path):
        path.fs.rm(path.path, recursive=True)


def _retire(target: Path) -> Path | None:
    """Rename ``target`` out of the way (one atomic step) and return where it went."""
    if not target.exists():
        return None
    retired = _hidden_sibling(target, "retired")
    target.rename(retired)
    return retired


def read_table(path: LakePath, *, what: str, columns: Sequence[str] = ()) -> "pd.DataFrame":
    """Read a parquet table that must have ``columns``; ``what`` names it in errors.

    Raises ``TableError`` with one line a user can act on instead of a pyarrow traceback.
    """
    if not path.is_file():
        raise TableError(f"{what} not found: {path}")
    try:
        frame = read_parquet(path)
    except (OSError, ValueError) as exc:
        raise TableError(f"{what} unreadable ({path}): {exc}") from exc
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise TableError(f"{what}: missing columns {', '.join(missing)} in {path}")
    return frame
