"""`masthead token`: named write tokens for the edit API."""

from __future__ import annotations

import click

from ..config import defaults
from .base import cli


@cli.command()
@click.argument("name", required=False)
@click.option("--show", is_flag=True, help="Print the tokens' names and values instead of creating one.")
def token(name, show):
    """Create a named write token (the change log records who made each change by this name).

    Without NAME, creates the 'admin' token if there is none. Tokens live in config.json in your
    Masthead config directory (mode 0600); MASTHEAD_TOKEN, when set, is accepted too, named 'env'.

    \b
    Examples:
        masthead token alice
        masthead token --show
    """
    from ..service import ENV_TOKEN_NAME, TokenStore, add_token, config_path, ensure_token

    settings = defaults()
    if show:
        tokens = TokenStore(settings).tokens()
        if not tokens:
            raise click.ClickException(f"no tokens yet; create one with `masthead token NAME` ({config_path(settings)})")
        for token_name, value in sorted(tokens.items()):
            click.echo(f"{token_name}\t{value}" + ("\t(from MASTHEAD_TOKEN)" if token_name == ENV_TOKEN_NAME else ""))
        return
    if name is None:
        where, created = ensure_token(settings)
        click.echo(f"admin\t{created}" if created else f"tokens already exist in {where}; `masthead token --show` prints them")
        return
    try:
        value = add_token(settings, name)
    except ValueError as exc:
        raise click.ClickException(str(exc))
    click.echo(f"{name}\t{value}")
    click.echo(f"saved in {config_path(settings)}; send it as 'Authorization: Bearer {value[:4]}...'", err=True)
