"""aiarch-scaffold: start production-shaped AI-architecture repositories."""

__version__ = "0.3.0.dev0"
