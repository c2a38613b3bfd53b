"""FastAPI's `fastapi.param_functions`: the functions that declare where a parameter comes
from (Query, Path, Header, Cookie, Body, Form, File) and the dependency markers (Depends,
Security). In FasterAPI they are the classes of FasterAPI.params themselves."""

from .params import Body, Cookie, Depends, File, Form, Header, Path, Query, Security

__all__ = ["Body", "Cookie", "Depends", "File", "Form", "Header", "Path", "Query", "Security"]
