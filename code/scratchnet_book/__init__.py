"""Tooling for the book's build and tests (not the library readers import): imports scratchnet,
never the reverse."""
