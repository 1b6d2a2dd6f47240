"""The version of nnsolve."""

__version__ = "0.1.0"
