from __future__ import annotations

import pytest

from api.aid_items.defaults import DEFAULT_ITEMS, STAGES
from api.kit.forms import check_form_schema

ITEM_KEYS = {
    "code", "name", "short_name", "name_en", "description", "materials", "form", "route", "stage_limits",
    "notice_days", "payment", "syncs_to_province", "whole_case_working_days",
    "whole_case_extended_working_days", "emergency_allowed", "emergency_hours",
    "emergency_paperwork_working_days", "township_approval_limit", "enabled", "sort_order",
}

ROUTES = {
    "dibao": ["accept", "investigate", "verify", "review", "approve", "pay"],
    "tekun": ["accept", "investigate", "verify", "review", "approve", "pay"],
    "linshi": ["accept", "investigate", "approve", "pay"],
    "yiliao": ["accept", "verify", "approve", "pay"],
    "jiaoyu": ["accept", "verify", "approve", "pay"],
    "zhufang": ["accept", "investigate", "verify", "approve", "pay"],
    "jiuye": ["accept", "investigate", "approve"],
    "shouzai": ["accept", "investigate", "approve", "pay"],
    "gaoling": ["accept", "province", "pay"],
    "canji": ["accept", "investigate", "approve", "pay"],
}

by_code = pytest.mark.parametrize("item", DEFAULT_ITEMS, ids=[item["code"] for item in DEFAULT_ITEMS])


def codes_where(predicate) -> list[str]:
    return [item["code"] for item in filter(predicate, DEFAULT_ITEMS)]


def test_the_ten_codes_come_in_order_and_are_unique():
    codes = [item["code"] for item in DEFAULT_ITEMS]
    assert codes == list(ROUTES)
    assert len(set(codes)) == 10


def test_sort_order_counts_up_in_tens():
    assert [item["sort_order"] for item in DEFAULT_ITEMS] == list(range(10, 101, 10))


@by_code
def test_item_has_exactly_the_catalogue_keys(item):
    assert set(item) == ITEM_KEYS


@by_code
def test_item_form_passes_the_schema_check_unchanged(item):
    assert check_form_schema(item["form"]) == item["form"]


@by_code
def test_route_is_the_domain_route(item):
    assert item["route"] == ROUTES[item["code"]]


@by_code
def test_route_starts_with_accept_and_uses_known_stages_once(item):
    assert item["route"][0] == "accept"
    assert set(item["route"]) <= set(STAGES)
    assert len(set(item["route"])) == len(item["route"])


@by_code
def test_stage_limits_cover_exactly_the_route(item):
    assert list(item["stage_limits"]) == item["route"]
    assert all(limit["working_days"] > 0 for limit in item["stage_limits"].values())


def test_stage_limits_follow_the_domain_defaults():
    investigate = {item["code"]: item["stage_limits"].get("investigate", {}).get("working_days")
                   for item in DEFAULT_ITEMS}
    assert investigate == {"dibao": 15, "tekun": 15, "linshi": 10, "yiliao": None, "jiaoyu": None,
                           "zhufang": 15, "jiuye": 10, "shouzai": 10, "gaoling": None, "canji": 15}
    assert {item["stage_limits"]["accept"]["working_days"] for item in DEFAULT_ITEMS} == {3}
    assert DEFAULT_ITEMS[0]["stage_limits"]["verify"] == {"working_days": 10}
    assert DEFAULT_ITEMS[0]["stage_limits"]["review"] == {"working_days": 5}
    assert DEFAULT_ITEMS[0]["stage_limits"]["approve"] == {"working_days": 10}


def test_exactly_one_item_syncs_to_the_province():
    assert codes_where(lambda item: item["syncs_to_province"]) == ["gaoling"]
    assert codes_where(lambda item: "province" in item["route"]) == ["gaoling"]


def test_only_dibao_and_tekun_have_public_notice():
    assert codes_where(lambda item: item["notice_days"] == 7) == ["dibao", "tekun"]
    assert codes_where(lambda item: item["notice_days"] not in (0, 7)) == []
    assert codes_where(lambda item: "review" in item["route"]) == ["dibao", "tekun"]


def test_only_dibao_has_a_whole_case_limit():
    assert codes_where(lambda item: item["whole_case_working_days"] is not None) == ["dibao"]
    assert DEFAULT_ITEMS[0]["whole_case_working_days"] == 30
    assert DEFAULT_ITEMS[0]["whole_case_extended_working_days"] == 45
    assert codes_where(lambda item: item["whole_case_extended_working_days"] is not None) == ["dibao"]


def test_only_linshi_allows_emergency_and_has_a_township_limit():
    linshi = DEFAULT_ITEMS[2]
    assert codes_where(lambda item: item["emergency_allowed"]) == ["linshi"]
    assert (linshi["emergency_hours"], linshi["emergency_paperwork_working_days"]) == (48, 5)
    assert linshi["township_approval_limit"] > 0
    assert codes_where(lambda item: item["emergency_hours"] is not None) == ["linshi"]
    assert codes_where(lambda item: item["township_approval_limit"] is not None) == ["linshi"]


def test_payment_matches_the_route():
    assert codes_where(lambda item: item["payment"] == "monthly") == ["dibao", "tekun", "gaoling", "canji"]
    assert codes_where(lambda item: item["payment"] is None) == ["jiuye"]
    assert codes_where(lambda item: "pay" not in item["route"]) == ["jiuye"]


@by_code
def test_item_has_a_required_material_and_well_formed_materials(item):
    materials = item["materials"]
    assert any(material["required"] for material in materials)
    assert all(set(material) == {"code", "name", "required", "hint"} for material in materials)
    assert all(material["name"] and material["hint"] for material in materials)
    assert len({material["code"] for material in materials}) == len(materials)
    assert materials[0]["code"] == "id_card"


def test_gaoling_requires_only_the_id_card_and_bank_card():
    gaoling = DEFAULT_ITEMS[8]
    required = [material["code"] for material in filter(lambda m: m["required"], gaoling["materials"])]
    assert gaoling["code"] == "gaoling"
    assert required == ["id_card", "bank_card"]
    assert [field["required"] for field in gaoling["form"]] == [False, False]


@by_code
def test_item_has_names_and_a_plain_description(item):
    assert item["name"] and item["short_name"] and item["name_en"]
    assert 40 <= len(item["description"]) <= 250
    assert item["enabled"] is True


def test_items_share_no_mutable_parts():
    material_ids = [id(material) for item in DEFAULT_ITEMS for material in item["materials"]]
    limit_ids = [id(limit) for item in DEFAULT_ITEMS for limit in item["stage_limits"].values()]
    assert len(set(material_ids)) == len(material_ids)
    assert len(set(limit_ids)) == len(limit_ids)
