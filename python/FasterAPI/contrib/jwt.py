"""JWT access tokens on PyJWT (the `jwt` extra): issue them, verify them, and a dependency that
gives a route the verified claims of the bearer token, with OAuth2 scopes.

    tokens = JWTTokens(SECRET, expires=timedelta(minutes=30))
    oauth2 = OAuth2PasswordBearer(tokenUrl="token")
    Claims = Annotated[dict, Security(tokens.claims(oauth2), scopes=["items:read"])]

`tokens.issue(subject, scopes=[...])` makes a token (`sub`, `iat`, `exp`, and a space-separated
`scope`, as OAuth2 writes scopes). A token that is expired, tampered with, signed with another
key or algorithm, or missing `sub` or `exp` is answered 401 with `WWW-Authenticate: Bearer`,
and so is one without the scopes the route asks for; the scheme itself answers a request that
has no token.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from ..exceptions import HTTPException
from ..param_functions import Depends
from ..security.oauth2 import SecurityScopes

try:
    import jwt as _jwt
except ImportError:  # the `jwt` extra is not installed: said when JWTTokens is made
    _jwt = None  # type: ignore[assignment]


class JWTTokens:
    """Issues and verifies signed access tokens: `secret` is the HMAC key (HS256 and the
    like) or, for RS256/ES256 and the like, the private key to sign with, and then
    `public_key` the key to verify with. `issuer` and `audience`, if given, are written and
    required. The keys are checked against the algorithm here: a mistake in them is a
    ValueError now, not an error on every request."""

    def __init__(
        self,
        secret: str | bytes,
        *,
        algorithm: str = "HS256",
        expires: timedelta = timedelta(minutes=15),
        public_key: str | bytes | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        leeway: timedelta = timedelta(0),
    ) -> None:
        if _jwt is None:
            raise RuntimeError("JWTTokens needs PyJWT: pip install 'PyJWT>=2.8'")
        if not secret:
            raise ValueError("JWTTokens needs a secret key")
        if algorithm.lower() == "none":
            raise ValueError("unsigned tokens (algorithm 'none') cannot be verified")
        try:
            signer = _jwt.get_algorithm_by_name(algorithm)
        except NotImplementedError as exc:  # unknown, or RS/ES/PS without `cryptography`
            raise ValueError(f"JWT algorithm {algorithm!r}: {exc}") from None
        hmac = isinstance(signer, _jwt.algorithms.HMACAlgorithm)
        if public_key is None and not hmac:
            raise ValueError(f"{algorithm} needs public_key=, the key that verifies its tokens")
        if public_key is None:
            public_key = secret
        for name, key in (("secret", secret), ("public_key", public_key)):
            try:
                signer.prepare_key(key)
            except (_jwt.PyJWTError, ValueError, TypeError) as exc:
                raise ValueError(f"JWTTokens: {name} is not a {algorithm} key: {exc}") from None
        self.secret = secret
        self.algorithm = algorithm
        self.expires = expires
        self.public_key = public_key
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway

    def issue(
        self,
        subject: str | int,
        *,
        scopes: Sequence[str] = (),
        expires: timedelta | None = None,
        **claims: Any,
    ) -> str:
        """A token for `subject` (the user's id or name, written as a string), valid for
        `expires` (the default given to JWTTokens), with `scopes` and any other `claims`
        (not those this writes itself)."""
        if isinstance(scopes, str):
            raise TypeError("scopes is a list of scopes, not a string")
        reserved = sorted(_RESERVED.intersection(claims))
        if reserved:
            raise ValueError(f"issue() writes {', '.join(reserved)} itself: not as claims")
        now = datetime.now(UTC)
        payload: dict[str, Any] = {
            **claims,
            "sub": str(subject),
            "iat": now,
            "exp": now + (self.expires if expires is None else expires),
        }
        if scopes:
            payload["scope"] = " ".join(scopes)
        if self.issuer is not None:
            payload["iss"] = self.issuer
        if self.audience is not None:
            payload["aud"] = self.audience
        return _jwt.encode(payload, self.secret, algorithm=self.algorithm)

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a valid token; HTTPException 401 for any other."""
        required = ["exp", "sub"] + [
            name for name, value in (("iss", self.issuer), ("aud", self.audience)) if value
        ]
        try:
            claims: dict[str, Any] = _jwt.decode(
                token,
                self.public_key,
                algorithms=[self.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": required},
            )
        except _jwt.ExpiredSignatureError:
            raise _unauthorized("Token has expired") from None
        except _jwt.InvalidTokenError:
            raise _unauthorized("Could not validate credentials") from None
        return claims

    def claims(self, scheme: Any) -> Callable[..., Any]:
        """A dependency giving the verified claims of the token `scheme` reads (an
        OAuth2PasswordBearer, or an HTTPBearer), checked for the scopes the route asks for
        with `Security(..., scopes=[...])`; None when there is no token and the scheme was
        made with `auto_error=False` (optional authentication)."""
        tokens = self

        async def verified_claims(
            security_scopes: SecurityScopes, token: Any = Depends(scheme)
        ) -> dict[str, Any] | None:
            if token is None:  # (a scheme made with auto_error=False)
                return None
            if not isinstance(token, str):  # HTTPBearer's credentials
                token = token.credentials
            try:
                claims = tokens.verify(token)
            except HTTPException as exc:  # the challenge names the scopes asked for
                raise _unauthorized(exc.detail, security_scopes.scope_str) from None
            if not set(security_scopes.scopes) <= _scopes(claims.get("scope")):
                raise _unauthorized("Not enough permissions", security_scopes.scope_str)
            return claims

        return verified_claims


#: The claims `issue` writes itself.
_RESERVED = frozenset({"sub", "iat", "exp", "scope", "iss", "aud"})


def _scopes(claim: Any) -> set[str]:
    """The scopes a token grants: OAuth2's space-separated string, or a list of them."""
    if isinstance(claim, str):
        return set(claim.split())
    if isinstance(claim, list | tuple):
        return {scope for scope in claim if isinstance(scope, str)}
    return set()


def _unauthorized(detail: str, scopes: str = "") -> HTTPException:
    challenge = f'Bearer scope="{scopes}"' if scopes else "Bearer"
    return HTTPException(401, detail, headers={"WWW-Authenticate": challenge})


__all__ = ["JWTTokens"]
