"""The per-request context: the caller and the request's DataLoaders."""

from __future__ import annotations

import uuid
from typing import Any

from strawberry.fastapi import BaseContext

from api.graphql.loaders import Loaders
from api.kit.actors import ANONYMOUS, Actor


class Context(BaseContext):
    """What every resolver sees: who is calling and the loaders of this request."""

    def __init__(self, actor: Actor, token: str | None, request_id: str) -> None:
        super().__init__()
        self.actor = actor
        self.token = token
        self.request_id = request_id
        self.loaders = Loaders()
        self._item_types: dict[int, Any] = {}

    def item_type(self, model: Any) -> Any:
        """Returns the GraphQL aid item of a row, made once per request (a page's cases mostly share one item)."""
        from api.aid_items.types import AidItem

        made = self._item_types.get(id(model))
        if made is None or made[0] is not model:
            made = self._item_types[id(model)] = (model, AidItem.from_model(model))
        return made[1]


def bearer_token(headers: Any) -> str | None:
    """Returns the token of an `Authorization: Bearer …` header."""
    value = headers.get("authorization") or ""
    if value.lower().startswith("bearer "):
        return value[7:].strip() or None
    return None


async def build_context(token: str | None, request_id: str | None = None) -> Context:
    """Resolves the caller behind a token into a fresh context."""
    from api.accounts import service as accounts

    actor = await accounts.resolve_session(token) or ANONYMOUS
    return Context(actor, token, request_id or uuid.uuid4().hex[:16])


