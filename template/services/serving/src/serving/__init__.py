"""Serving service: the champion churn model behind an authenticated FastAPI endpoint."""
