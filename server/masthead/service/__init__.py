"""The application object below the web layer and the CLI: `Masthead` owns the live list, the corpus, the encoder,
reader pages, tokens and the curator, and offers the operations both call."""

from .application import Masthead, without_addresses
from .errors import ServiceError
from .pages import Busy, ReaderPages
from .tokens import ENV_TOKEN_NAME, MIN_TOKEN_LENGTH, READ, WRITE, TokenStore, add_token, config_path, ensure_token

__all__ = ["Masthead", "ServiceError", "ReaderPages", "Busy", "TokenStore", "add_token", "config_path", "ensure_token",
           "ENV_TOKEN_NAME", "MIN_TOKEN_LENGTH", "READ", "WRITE", "without_addresses"]
