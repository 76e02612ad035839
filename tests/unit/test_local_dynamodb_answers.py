"""The local stack writes the items of DynamoDB's answers itself (moto's serializer is slow): same answers."""

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.responses import DynamoResult

from customer_bulk_local.emulator import fast_dynamodb_answers

ITEM = {
    "pk": {"S": "t1#E#a@shop.vn"},
    "version": {"N": "1.50"},
    "tags": {"L": [{"S": "VIP"}, {"N": "2"}, {"NULL": True}]},
    "extra": {"M": {"flag": {"BOOL": False}, "text": {"S": 'Hà Nội "quoted" \\ back'}}},
    "set": {"SS": ["p", "q"]},
    "shard": {"S": "t1#03"},
    "customer_id": {"S": "01M8"},
}


def _answers(client: Any) -> list[Callable[[], dict[str, Any]]]:
    return [
        lambda: client.query(
            TableName="t",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": ITEM["pk"]},
            ReturnConsumedCapacity="TOTAL",
        ),
        lambda: client.scan(TableName="t", Limit=1),
        lambda: client.scan(TableName="t", Select="COUNT"),
        lambda: client.get_item(TableName="t", Key={"pk": ITEM["pk"]}),
        lambda: client.get_item(TableName="t", Key={"pk": {"S": "missing"}}),
        lambda: client.batch_get_item(RequestItems={"t": {"Keys": [{"pk": ITEM["pk"]}, {"pk": {"S": "missing"}}]}}),
        lambda: client.query(
            TableName="t",
            IndexName="ByShard",
            KeyConditionExpression="shard = :s AND customer_id > :c",
            ExpressionAttributeValues={":s": ITEM["shard"], ":c": {"S": "0"}},
        ),
        lambda: client.query(
            TableName="t",
            IndexName="ByShard",
            KeyConditionExpression="shard = :s",
            ExpressionAttributeValues={":s": ITEM["shard"]},
            ProjectionExpression="pk, customer_id, tags[0]",
        ),
        lambda: client.scan(
            TableName="t",
            IndexName="ByShard",
            FilterExpression="attribute_exists(#s)",
            ExpressionAttributeNames={"#s": "set"},
        ),
    ]


def test_answers_with_items_are_the_same_as_motos_own(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(
            TableName="t",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "shard", "customer_id")
            ],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "ByShard",
                    "KeySchema": [
                        {"AttributeName": "shard", "KeyType": "HASH"},
                        {"AttributeName": "customer_id", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        client.put_item(TableName="t", Item=ITEM)
        strip = lambda answer: {k: v for k, v in answer.items() if k != "ResponseMetadata"}  # noqa: E731
        by_moto = [strip(call()) for call in _answers(client)]
        restore: list[Any] = []
        moto_serializer = DynamoResult.execute_result
        fast_dynamodb_answers(restore)
        assert DynamoResult.execute_result is not moto_serializer
        try:
            ours = [strip(call()) for call in _answers(client)]
            again = [strip(call()) for call in _answers(client)]  # the stored item was not changed by answering
        finally:
            for undo in restore:
                undo()
    assert ours == by_moto == again
    assert ours[0]["Items"] == [ITEM] and "Item" not in ours[4]
