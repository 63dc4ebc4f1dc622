"""Train with validated data and register the model."""
