"""Security schemes, as FastAPI's `fastapi.security` has them: dependencies that read
credentials from the request (answering 401 when they are missing, unless
`auto_error=False`) and describe themselves in the OpenAPI document, so that Swagger UI
shows an "Authorize" button. Checking the credentials is the app's work."""

from .api_key import APIKeyCookie, APIKeyHeader, APIKeyQuery
from .base import SecurityBase
from .http import (
    HTTPAuthorizationCredentials,
    HTTPBase,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
    HTTPDigest,
)
from .oauth2 import (
    OAuth2,
    OAuth2AuthorizationCodeBearer,
    OAuth2PasswordBearer,
    OAuth2PasswordRequestForm,
    OAuth2PasswordRequestFormStrict,
    SecurityScopes,
)
from .open_id_connect_url import OpenIdConnect
from .utils import get_authorization_scheme_param

#: The schemes whose `__call__` reads nothing of the request but its headers (these classes
#: themselves: a subclass may read more); the dependency solver gives them only the headers
#: (FasterAPI.dependencies.solve.HeadersOnly), no Request.
HEADER_SCHEMES = frozenset(
    (
        APIKeyHeader,
        HTTPBase,
        HTTPBasic,
        HTTPBearer,
        HTTPDigest,
        OAuth2,
        OAuth2AuthorizationCodeBearer,
        OAuth2PasswordBearer,
    )
)

__all__ = [
    "APIKeyCookie",
    "APIKeyHeader",
    "APIKeyQuery",
    "HTTPAuthorizationCredentials",
    "HTTPBase",
    "HTTPBasic",
    "HTTPBasicCredentials",
    "HTTPBearer",
    "HTTPDigest",
    "OAuth2",
    "OAuth2AuthorizationCodeBearer",
    "OAuth2PasswordBearer",
    "OAuth2PasswordRequestForm",
    "OAuth2PasswordRequestFormStrict",
    "OpenIdConnect",
    "SecurityBase",
    "SecurityScopes",
    "get_authorization_scheme_param",
]
