"""FasterAPI.openapi.models (FastAPI's `fastapi.openapi.models`): the OpenAPI objects as
pydantic models, which the documents FasterAPI makes validate against, and
FasterAPI.openapi.constants."""

import json
import warnings

import FasterAPI
import pydantic
import pytest
from FasterAPI.openapi import constants, models

from tests.apps import openapi_hooks_ref, openapi_ref

pytestmark = pytest.mark.fasterapi_only


@pytest.mark.parametrize("module", [openapi_ref, openapi_hooks_ref])
def test_documents_validate_and_dump_back_unchanged(module):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        document = module.build(FasterAPI).openapi()
    model = models.OpenAPI.model_validate(document)
    dumped = json.loads(model.model_dump_json(by_alias=True, exclude_none=True))
    assert dumped == json.loads(json.dumps(document))


def test_schema_type_is_one_json_type_a_list_of_them_or_none():
    assert models.Schema(type="array").type == "array"
    assert models.Schema(type=["string", "null"]).type == ["string", "null"]
    assert models.Schema().type is None
    with pytest.raises(pydantic.ValidationError, match="2 validation errors for Schema"):
        models.Schema(type=True)


def test_fields_by_their_document_names_and_extensions_kept():
    parameter = models.Parameter.model_validate(
        {"name": "q", "in": "query", "schema": {"$ref": "#/x"}, "x-internal": True}
    )
    assert parameter.in_ is models.ParameterInType.query
    assert parameter.model_dump(by_alias=True, exclude_none=True) == {
        "name": "q",
        "in": models.ParameterInType.query,
        "schema": {"$ref": "#/x"},
        "x-internal": True,
    }
    flows = models.OAuthFlows(password={"tokenUrl": "token", "scopes": {"me": "Read me"}})
    scheme = models.OAuth2(flows=flows)
    assert scheme.model_dump(mode="json", by_alias=True, exclude_none=True) == {
        "type": "oauth2",
        "flows": {"password": {"tokenUrl": "token", "scopes": {"me": "Read me"}}},
    }


def test_constants():
    assert constants.REF_PREFIX == "#/components/schemas/"
    assert constants.REF_TEMPLATE.format(model="Item") == "#/components/schemas/Item"
    assert "POST" in constants.METHODS_WITH_BODY
