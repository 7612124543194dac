"""`masthead token`: named write tokens for the edit API, and read-only tokens for readers."""

from __future__ import annotations

import click

from ..config import defaults
from .base import cli


@cli.command()
@click.argument("name", required=False)
@click.option("--show", is_flag=True, help="Print the tokens' names and values instead of creating one.")
@click.option("--read", "read_only", is_flag=True, help="Create a read-only token: for a reader's extension on a server "
              "reachable from the network; it cannot edit the list, undo changes or delete articles.")
def token(name, show, read_only):
    """Create a named write token (the change log records who made each change by this name).

    Without NAME, creates the 'admin' token if there is none. Tokens live in config.json in your
    Masthead config directory (mode 0600); MASTHEAD_TOKEN, when set, is accepted too, named 'env'.
    With --read, the token can only read (what readers need off loopback); the extension takes either kind.

    \b
    Examples:
        masthead token alice
        masthead token bob-reader --read
        masthead token --show
    """
    from ..curation import EditError
    from ..service import ENV_TOKEN_NAME, READ, WRITE, TokenStore, add_token, config_path, ensure_token

    settings = defaults()
    if show:
        store = TokenStore(settings)
        tokens = [(name, value, kind) for kind in (WRITE, READ) for name, value in sorted(store.tokens(kind).items())]
        if not tokens:
            raise click.ClickException(f"no tokens yet; create one with `masthead token NAME` ({config_path(settings)})")
        for token_name, value, kind in tokens:
            click.echo(f"{token_name}\t{value}" + ("\t(read only)" if kind == READ else "")
                       + ("\t(from MASTHEAD_TOKEN)" if token_name == ENV_TOKEN_NAME else ""))
        return
    if name is None:
        where, created = ensure_token(settings)
        click.echo(f"admin\t{created}" if created else f"tokens already exist in {where}; `masthead token --show` prints them")
        return
    try:
        value = add_token(settings, name, kind=READ if read_only else WRITE)
    except (ValueError, EditError) as exc:
        raise click.ClickException(str(exc))
    click.echo(f"{name}\t{value}")
    click.echo(f"saved in {config_path(settings)}; send it as 'Authorization: Bearer {value[:4]}...'", err=True)
