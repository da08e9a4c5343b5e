"""Prints the GraphQL schema in SDL: `python -m api.graphql.export > graphql/schema.graphql`."""

from __future__ import annotations

from api.graphql.schema import build_schema
from api.settings import Settings

if __name__ == "__main__":
    print(build_schema(Settings(environment="development")).as_str())
