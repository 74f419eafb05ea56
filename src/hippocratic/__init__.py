"""Hippocratic: a web platform whose privacy policy is the program itself."""

__version__ = "0.1.0"
