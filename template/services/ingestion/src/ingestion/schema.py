"""Column layout of the raw customer dataset, derived from ``contracts.CustomerRecord``."""

from contracts import LABEL_COLUMN, CustomerRecord
from contracts.features import ID_COLUMN

# Identifier first and label last so the raw files read naturally; the middle follows the
# contract's field order so a new attribute in CustomerRecord shows up here automatically.
RAW_COLUMNS: tuple[str, ...] = (
    ID_COLUMN,
    *(name for name in CustomerRecord.model_fields if name not in (ID_COLUMN, LABEL_COLUMN)),
    LABEL_COLUMN,
)
