from __future__ import annotations

from api.kit.errors import ConflictError, NotFoundError


class CaseNotFound(NotFoundError):
    def __init__(self) -> None:
        super().__init__("申请不存在或无权查看", code="case_not_found", field="caseId")


class OpenCaseExists(ConflictError):
    def __init__(self, item_name: str, number: str) -> None:
        super().__init__(f"已有一件正在办理的「{item_name}」申请（{number}），办结前不能重复申请",
                         code="open_case_exists", field="itemCode")
