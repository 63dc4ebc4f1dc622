"""The events service: customer events through Kafka (or the embedded log) into the lake."""
