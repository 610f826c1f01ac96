"""The `wiki/digest` MkDocs plugin: weekly digest pages, an index, hit-list candidates and an Atom feed."""
