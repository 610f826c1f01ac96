"""Newsletter digests without MkDocs: fetch feeds, normalise items, keep the archive, link items to papers."""
