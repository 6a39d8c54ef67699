"""Bundled OpenML dataset files; see README.md in this folder."""
