"""aiarch-scaffold: start production-shaped AI-architecture repositories."""

__version__ = "0.2.0"
