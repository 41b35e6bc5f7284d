"""mutgate: a mutation-testing gate for Python."""

__version__ = "0.1.0"
