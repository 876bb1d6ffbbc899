"""Khabar: a headless content API for Arabic-first newsrooms."""

__version__ = "0.1.0"
