"""Ingestion service: lands a raw customer batch (synthetic or from a file) in the data lake."""
