"""Items go to DynamoDB and come back as the same plain values."""

from customer_bulk.dal.dynamo import from_attributes, to_attributes


def test_values_survive_the_round_trip() -> None:
    item = {
        "pk": "t#E#a@x.vn",
        "version": 3,
        "ratio": 7.5,
        "tags": ["VIP", "Hà Nội"],
        "accepts": False,
        "done": {1, 2},
        "options": {"mapping": {"Mail": "email", "Bỏ qua": None}, "sheet": None},
    }
    assert from_attributes(to_attributes(item)) == item


def test_absent_means_absent_at_the_top_level() -> None:
    assert from_attributes(to_attributes({"pk": "x", "note": None, "empty": set()})) == {"pk": "x"}
