"""Helpers for GraphQL tests: post an operation, sign people in through the API itself."""

from __future__ import annotations

import io
import itertools
import logging
from contextlib import contextmanager

import httpx

from api.accounts.sms import MemorySms
from tests.factories import make_staff

_phones = itertools.count(1)

STAFF_SIGN_IN = """
mutation($u: String!, $p: String!) {
  authStaffSignIn(username: $u, password: $p) {
    __typename ... on SignInSuccess { token mustChangePassword } ... on Error { code message }
  }
}"""
CODE_REQUEST = """
mutation($phone: String!) {
  authCodeRequest(phone: $phone) { __typename ... on Error { code message } }
}"""
CODE_SIGN_IN = """
mutation($phone: String!, $code: String!) {
  authCodeSignIn(phone: $phone, code: $code) { __typename ... on SignInSuccess { token } ... on Error { code } }
}"""


def new_phone() -> str:
    """Returns a mobile number no other test has used in this run."""
    return f"139{next(_phones):08d}"


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


async def post(client: httpx.AsyncClient, query: str, variables: dict | None = None,
               token: str | None = None) -> httpx.Response:
    """Posts one GraphQL operation and returns the raw HTTP response."""
    return await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=bearer(token))


async def gql(client: httpx.AsyncClient, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    """Posts one GraphQL operation and returns its JSON body; any HTTP status but 200 fails the test."""
    response = await post(client, query, variables, token)
    assert response.status_code == 200, response.text
    return response.json()


async def sign_in_staff(client: httpx.AsyncClient, username: str, password: str = "Passw0rd!x") -> str:
    """Signs a staff member in through GraphQL and returns the bearer token."""
    body = await gql(client, STAFF_SIGN_IN, {"u": username, "p": password})
    result = body["data"]["authStaffSignIn"]
    assert result["__typename"] == "SignInSuccess", body
    return result["token"]


async def staff_token(client: httpx.AsyncClient, role: str, region: str | None = None, *,
                      must_change: bool = False) -> str:
    """Allocates a staff account with the role (and region) and returns a signed-in token."""
    _, username = await make_staff(role, region, must_change=must_change)
    return await sign_in_staff(client, username)


async def sign_in_applicant(client: httpx.AsyncClient, sms: MemorySms, phone: str) -> str:
    """Signs a citizen in by phone and one-time code through GraphQL; returns the bearer token."""
    sent = await gql(client, CODE_REQUEST, {"phone": phone})
    assert sent["data"]["authCodeRequest"]["__typename"] == "CodeSentSuccess", sent
    body = await gql(client, CODE_SIGN_IN, {"phone": phone, "code": sms.last_code(phone)})
    result = body["data"]["authCodeSignIn"]
    assert result["__typename"] == "SignInSuccess", body
    return result["token"]


async def upload(client: httpx.AsyncClient, token: str | None, data: bytes, *, kind: str = "id_card",
                 filename: str = "photo.jpg", case_id: int | str | None = None,
                 applicant_id: int | str | None = None) -> httpx.Response:
    """Posts one file to the material endpoint."""
    form = {"kind": kind}
    if case_id is not None:
        form["caseId"] = str(case_id)
    if applicant_id is not None:
        form["applicantId"] = str(applicant_id)
    return await client.post("/api/materials", data=form, files={"file": (filename, data, "application/octet-stream")},
                             headers=bearer(token))


def jpeg(size: tuple[int, int] = (32, 24), exif: bytes | None = None) -> bytes:
    """Returns a small JPEG photo, optionally carrying the given EXIF block."""
    from PIL import Image

    buf = io.BytesIO()
    options = {"exif": exif} if exif is not None else {}
    Image.new("RGB", size, (30, 120, 200)).save(buf, format="JPEG", **options)
    return buf.getvalue()


SQL_VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


class StatementLog(logging.Handler):
    """Collects the SQL statements Tortoise logs at DEBUG."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.lstrip().upper().startswith(SQL_VERBS):
            self.statements.append(message)


@contextmanager
def counting_sql():
    """Yields the list of SQL statements run inside the block (read it after the block ends)."""
    logger = logging.getLogger("tortoise.db_client")
    handler, level = StatementLog(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.statements
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
