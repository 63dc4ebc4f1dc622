"""ingestion service."""
