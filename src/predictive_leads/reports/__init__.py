"""Rendering only: HTML pages from templates, figures, and the terminal summary of a run."""
