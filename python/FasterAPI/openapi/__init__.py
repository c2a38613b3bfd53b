"""The OpenAPI schema of an app (`app.openapi()`, served at /openapi.json) and the pages that
show it: Swagger UI at /docs and ReDoc at /redoc. FastAPI's module paths:
`FasterAPI.openapi.utils.get_openapi` and `FasterAPI.openapi.docs.get_swagger_ui_html`..."""
