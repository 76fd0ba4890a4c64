"""emotion-tui: a terminal live monitor for facial emotion recognition."""

__version__ = "0.1.0"
