"""MkDocs plugins and a command line that turn one repository into a self-building LLM research wiki."""

__version__ = "0.1.0"
