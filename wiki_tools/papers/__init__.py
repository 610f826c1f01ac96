"""BibTeX and arXiv handling for the wiki. Nothing in this package imports MkDocs."""
