"""Features service: validates raw batches, quarantines bad rows and builds the feature table."""
