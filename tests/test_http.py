from tests.graphql.helpers import sign_in_applicant


async def _chunks(total: int, sent_log: list[int], chunk: int = 1024 * 1024):
    yield (b'--zzz\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
           b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff")
    sent = 0
    while sent < total:
        yield b"x" * min(chunk, total - sent)
        sent += chunk
        sent_log.append(sent)


async def test_upload_without_content_length_is_cut_off_at_the_limit(client, sms, db):
    token = await sign_in_applicant(client, sms, "13900001111")
    sent: list[int] = []
    response = await client.post("/api/materials", content=_chunks(15 * 1024 * 1024, sent),
                                 headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": "multipart/form-data; boundary=zzz"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"
    assert sent[-1] < 15 * 1024 * 1024  # reading stopped at the limit, not after the whole body


async def test_oversized_graphql_body_is_refused_with_413(client, db):
    response = await client.post("/graphql", content=b'{"query":"' + b" " * (2 * 1024 * 1024) + b'{ me { kind } }"}',
                                 headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


async def test_ordinary_graphql_request_passes_the_size_guard(client, db):
    response = await client.post("/graphql", json={"query": "{ me { kind } }"})
    assert response.status_code == 200
    assert response.json()["data"]["me"]["kind"] == "anonymous"
