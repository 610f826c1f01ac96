"""The `wiki/katex` MkDocs plugin: math typeset by KaTeX files that the site serves itself."""
