"""The `wiki/bibliography` MkDocs plugin: the hit-list page generated from `papers.bib`."""
