"""The command line: ``predictive-leads`` (Typer + rich), one module per command group over the jobs."""

from predictive_leads.cli.app import app

__all__ = ["app"]
