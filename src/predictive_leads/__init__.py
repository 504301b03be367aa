"""predictive_leads: honest, explained B2B lead scoring."""

__version__ = "0.1.0"
