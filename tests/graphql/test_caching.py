"""Parsed and validated documents are cached: a repeated operation (each live subscription) costs neither again."""

from __future__ import annotations

import uuid

from strawberry.extensions.parser_cache import _get_parse_cache
from strawberry.extensions.validation_cache import _get_validate_cache

from api.settings import get_settings
from tests.graphql.helpers import gql, post

CACHE_SIZE = 256  # as in build_schema


def _nested_regions(depth: int) -> str:
    # the comment makes the text new to the caches, whatever ran before in this process
    return f"# {uuid.uuid4().hex}\nquery {{ regions {{ " + "children { " * depth + "code" + " }" * depth + " } }"


async def test_a_repeated_query_is_parsed_and_validated_once(client):
    parsed, validated = _get_parse_cache(CACHE_SIZE), _get_validate_cache(CACHE_SIZE)
    query = _nested_regions(1)
    await gql(client, query)
    parses, validations = parsed.cache_info(), validated.cache_info()

    body = await gql(client, query)

    assert body["data"]["regions"][0]["children"]
    assert (parsed.cache_info().hits, parsed.cache_info().misses) == (parses.hits + 1, parses.misses)
    assert (validated.cache_info().hits, validated.cache_info().misses) == (validations.hits + 1,
                                                                            validations.misses)


async def test_a_query_over_the_depth_limit_is_refused_again_when_it_comes_from_the_cache(client):
    query = _nested_regions(get_settings().max_query_depth + 1)

    first, second = (await post(client, query)).json(), (await post(client, query)).json()

    assert first["data"] is None and second["data"] is None
    assert "exceeds maximum operation depth" in first["errors"][0]["message"]
    assert second["errors"] == first["errors"]
