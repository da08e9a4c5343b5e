"""The HTTP routes' shared answer to an expected failure: code, Chinese message, field and the status that fits."""

from __future__ import annotations

import json

import pytest

from api.kit.errors import (
    AuthError,
    ConflictError,
    NotAllowedError,
    NotFoundError,
    RateLimitedError,
    ValidationError,
)
from api.kit.routes import error_response


@pytest.mark.parametrize(("error", "status"), [
    (ValidationError("请选择要上传的文件", code="file_empty", field="file"), 400),
    (AuthError("请先登录", code="unauthenticated"), 401),
    (NotAllowedError("首次登录请先修改初始密码", code="password_change_required"), 403),
    (NotFoundError("材料不存在", code="material_not_found"), 404),
    (ConflictError("提交编号已被使用", code="submission_key_taken", field="submissionKey"), 409),
    (ValidationError("文件过大，单个文件不能超过10MB", code="file_too_large", field="file"), 413),
])
def test_each_kind_of_failure_answers_with_its_status_code_message_and_field(error, status):
    response = error_response(error)

    assert response.status_code == status
    assert json.loads(response.body) == {"error": {"code": error.code, "message": error.message, "field": error.field}}
    assert "retry-after" not in response.headers


def test_too_many_attempts_answer_429_with_retry_after():
    response = error_response(RateLimitedError("下载过于频繁，请在30秒后再试", retry_after=30))

    assert response.status_code == 429
    assert response.headers["retry-after"] == "30"
    assert json.loads(response.body)["error"]["code"] == "rate_limited"
