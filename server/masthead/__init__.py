"""Masthead: who stands behind the news page in front of you."""

__version__ = "0.1.0"
