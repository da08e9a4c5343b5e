"""Rules of the region tree: levels, codes, and the all-or-nothing CSV import."""

from __future__ import annotations

import csv
import io

from api.kit.actors import Actor
from api.kit.errors import NotAllowedError, echo
from api.regions import repository
from api.regions.errors import RegionImportInvalid, RegionNotFound
from api.regions.models import Region
from api.regions.sample import sample_regions

LEVEL_CODE_LENGTH = {"district": 6, "township": 9, "village": 12}
PARENT_LEVEL = {"district": None, "township": "district", "village": "township"}
LEVEL_NAMES = {"district": "区县", "township": "乡镇(街道)", "village": "村(社区)", "区县": "district",
               "乡镇": "township", "街道": "township", "村": "village", "社区": "village"}


async def get(code: str) -> Region:
    """Returns a region or raises RegionNotFound."""
    region = await repository.get(code)
    if region is None:
        raise RegionNotFound(code)
    return region


async def find(code: str) -> Region | None:
    """Returns a region, or None."""
    return await repository.get(code)


async def children(parent_code: str | None) -> list[Region]:
    """Returns the direct children of a region, or the roots."""
    return await repository.children(parent_code)


async def ensure_sample_tree() -> int:
    """Loads the sample Dachuan tree when the table is empty; returns how many rows were written."""
    if await repository.count():
        return 0
    rows = sample_regions()
    for i, row in enumerate(rows):
        await repository.upsert(row, i)
    return len(rows)


def parse_region_csv(text: str) -> list[dict]:
    """Parses `code,name,level,parent_code` rows, checking each; raises on the first bad line."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    rows: list[dict] = []
    seen: set[str] = set()
    for line_no, raw in enumerate(reader, start=1):
        if not raw or all(not c.strip() for c in raw):
            continue
        if line_no == 1 and raw[0].strip().lower() in ("code", "编码", "区划代码"):
            continue
        if len(raw) < 3:
            raise RegionImportInvalid(line_no, "每行应有 编码,名称,级别,上级编码 四列")
        code, name, level = raw[0].strip(), raw[1].strip(), raw[2].strip()
        parent = raw[3].strip() if len(raw) > 3 and raw[3].strip() else None
        if level not in LEVEL_CODE_LENGTH:  # LEVEL_NAMES maps both ways: look up only the Chinese names
            level = LEVEL_NAMES.get(level, level)
        if level not in LEVEL_CODE_LENGTH:
            raise RegionImportInvalid(line_no, f"级别「{echo(raw[2].strip())}」无效，应为 district/township/village")
        if not code.isdigit() or len(code) != LEVEL_CODE_LENGTH[level]:
            raise RegionImportInvalid(line_no, f"编码「{echo(code)}」应为{LEVEL_CODE_LENGTH[level]}位数字")
        if not name or len(name) > 64:
            raise RegionImportInvalid(line_no, "名称不能为空，且不超过64个字")
        if code in seen:
            raise RegionImportInvalid(line_no, f"编码「{code}」重复")
        expected_parent_level = PARENT_LEVEL[level]
        if expected_parent_level is None and parent:
            raise RegionImportInvalid(line_no, "区县不应有上级编码")
        if expected_parent_level is not None:
            if not parent:
                raise RegionImportInvalid(line_no, "缺少上级编码")
            if not code.startswith(parent) or len(parent) != LEVEL_CODE_LENGTH[expected_parent_level]:
                raise RegionImportInvalid(line_no, f"上级编码「{echo(parent)}」与编码「{code}」不匹配")
        seen.add(code)
        rows.append({"code": code, "name": name, "level": level, "parent": parent, "line": line_no})
    if not rows:
        raise RegionImportInvalid(1, "文件中没有区划数据")
    return rows


async def import_csv(actor: Actor, text: str) -> int:
    """Imports a region list; every row is checked before any is written (all-or-nothing)."""
    if actor.role != "admin":
        raise NotAllowedError("只有系统管理员可以导入行政区划", code="admin_only")
    rows = parse_region_csv(text)
    in_file = {r["code"] for r in rows}
    parents = [r["parent"] for r in rows if r["parent"] and r["parent"] not in in_file]
    known = await repository.existing_codes(parents)
    for r in rows:
        if r["parent"] and r["parent"] not in in_file and r["parent"] not in known:
            raise RegionImportInvalid(r["line"], f"上级编码「{r['parent']}」不存在")
    # parents before children, so foreign keys hold as rows are written
    rows.sort(key=lambda r: len(r["code"]))
    for i, r in enumerate(rows):
        await repository.upsert(r, i)
    return len(rows)
