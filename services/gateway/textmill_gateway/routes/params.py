"""The query parameters the lists share: `limit` and `cursor`, bounded in the OpenAPI
document exactly as they are checked (a cursor's pattern anchored, as JSON Schema's are
not by themselves)."""

import re
from typing import Annotated

from litestar.params import Parameter

Limit = Annotated[int, Parameter(ge=1, le=1000, description="items on a page (1 to 1,000)")]


def cursor_param(pattern: re.Pattern) -> object:
    return Annotated[
        str | None,
        Parameter(pattern=f"^{pattern.pattern}$", description="the `next_cursor` of a page"),
    ]
