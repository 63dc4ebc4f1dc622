"""The drift reference: the champion's training features, read by the monitoring service."""

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from contracts.storage import LakePath, write_atomic


def write_reference(frame: pd.DataFrame, path: LakePath, metadata: dict[str, str]) -> None:
    """Atomically replace ``path`` so monitoring never reads a half-written file.

    ``metadata`` (model version, source features) goes into the parquet footer, which keeps
    the reference self-describing without a second file that could get out of sync.
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    existing = table.schema.metadata or {}
    extra = {f"reference.{key}".encode(): value.encode() for key, value in metadata.items()}
    table = table.replace_schema_metadata({**existing, **extra})
    write_atomic(path, lambda temporary: pq.write_table(table, temporary))
