"""The `wiki/template-cache` plugin."""
