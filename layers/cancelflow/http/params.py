"""Parameter types shared by the API functions (validated by Powertools, documented in OpenAPI)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

from cancelflow.store.codec import ID_PATTERN

# Every id in a path has the shape new_id() gives it; anything else is a 422 naming the field.
IdPath = Annotated[str, Path(pattern=ID_PATTERN, description="an id such as o_<20 hex digits>")]
