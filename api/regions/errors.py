from __future__ import annotations

from api.kit.errors import NotFoundError, ValidationError


class RegionNotFound(NotFoundError):
    def __init__(self, code: str) -> None:
        super().__init__(f"行政区划 {code} 不存在", code="region_not_found", field="regionCode")


class RegionImportInvalid(ValidationError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"第{line}行：{message}", code="region_import_invalid", field="csv")
