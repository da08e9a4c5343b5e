from tests.factories import make_case


async def test_dibao_walks_to_closed(db):
    case = await make_case("dibao", "closed")
    assert case.status == "closed"
    assert case.last_seq == 8
