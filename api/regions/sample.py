"""The sample Dachuan region tree (DOMAIN.md): real district, street and town names; sample villages."""

from __future__ import annotations

DISTRICT = ("511703", "达川区")
# 翠屏街道's code is 511703002 (DOMAIN.md); the other township codes are assigned in list order for
# the demo and must be replaced by the district's own list (import a CSV) in a real deployment.
TOWNSHIPS = [
    "三里坪街道", "翠屏街道", "石板街道", "斌郎街道", "明月江街道", "杨柳街道",
    "亭子镇", "福善镇", "麻柳镇", "大树镇", "南岳镇", "万家镇", "景市镇", "百节镇", "赵家镇", "河市镇",
    "金垭镇", "渡市镇", "管村镇", "石梯镇", "石桥镇", "堡子镇",
]
CUIPING_VILLAGES = [
    "草街子社区", "梧桐梁社区", "金华社区", "南坝社区", "新南社区", "新桥村",
    "堰坝村", "石河村", "蔡坪村", "长田村", "临江村", "亚云村",
]


def sample_regions() -> list[dict]:
    """Returns the sample tree as rows: code, name, level, parent, sample."""
    rows = [{"code": DISTRICT[0], "name": DISTRICT[1], "level": "district", "parent": None, "sample": False}]
    for i, name in enumerate(TOWNSHIPS, start=1):
        tcode = f"{DISTRICT[0]}{i:03d}"
        rows.append({"code": tcode, "name": name, "level": "township", "parent": DISTRICT[0], "sample": False})
        if name == "翠屏街道":
            villages = [(v, False) for v in CUIPING_VILLAGES]
        else:
            stem = name.removesuffix("街道").removesuffix("镇")
            villages = [(f"{stem}示例一村", True), (f"{stem}示例二村", True)]
        for j, (vname, sample) in enumerate(villages, start=1):
            rows.append({"code": f"{tcode}{j:03d}", "name": vname, "level": "village", "parent": tcode,
                         "sample": sample})
    return rows
