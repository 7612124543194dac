"""The `masthead` command: a thin click layer over the library, one module per group of commands."""

from .base import cli
from . import corpus, follow, lists, serve, sources, tokens  # noqa: F401  (each registers its commands on `cli`)

__all__ = ["cli", "main"]


def main():  # pragma: no cover
    cli()
