"""Security helpers. SecurityScopes: what a dependency gets, by annotation, for the OAuth2
scopes that the `Security(...)` declarations above it require."""

from __future__ import annotations


class SecurityScopes:
    """The scopes required along the chain of `Security(dep, scopes=[...])` that led to a
    dependency; `scope_str` joins them with spaces, as a WWW-Authenticate header wants."""

    def __init__(self, scopes: list[str] | None = None) -> None:
        self.scopes: list[str] = list(scopes or [])
        self.scope_str: str = " ".join(self.scopes)

    def __repr__(self) -> str:
        return f"SecurityScopes({self.scopes!r})"
