"""The digest of a logged model's files: recorded by training, checked by serving."""

import hashlib
from pathlib import Path

# Model-version tag holding the digest of the version's artifact files.
ARTIFACT_DIGEST_TAG = "artifact_sha256"
# The model serving runs: the registered pipeline exported to ONNX at registration (an
# ``extra_files`` entry of the logged model, so the digest covers it like every other file).
ONNX_MODEL_FILE = "extra_files/model.onnx"
# ONNX metadata key: which column of the ``probabilities`` output is P(churned=True).
ONNX_POSITIVE_INDEX_KEY = "churn_positive_index"
# Written by MLflow itself, in place, whenever a version is loaded through a models:/ URI from
# a local store; not part of the model, and never read by serving.
IGNORED_FILES = frozenset({"registered_model_meta"})
_CHUNK = 1 << 20


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def artifact_digest(directory: Path) -> str:
    """sha256 over every file below ``directory`` (but ``IGNORED_FILES``): path and content.

    Adding, removing, renaming or changing any file changes the digest, so a model version
    whose files were edited after registration is recognised as such.
    """
    if not directory.is_dir():
        raise NotADirectoryError(f"no model artifact directory at {directory}")
    manifest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file() or p.is_symlink()):
        if path.relative_to(directory).as_posix() in IGNORED_FILES:
            continue
        if path.is_symlink():
            raise ValueError(f"model artifact contains a symbolic link: {path.name}")
        relative = path.relative_to(directory).as_posix()
        manifest.update(f"{relative}\0{_file_sha256(path)}\n".encode())
    return manifest.hexdigest()
