"""Executed demos: notebook sources, the execution cache and nbclient execution. Never imports MkDocs."""
