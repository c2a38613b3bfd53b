"""FastAPI's `fastapi.logger`: the framework's logger, named "fastapi" as in FastAPI, so that
logging configured for a FastAPI app keeps working."""

import logging

logger = logging.getLogger("fastapi")
