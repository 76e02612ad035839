"""The local stack holds each function to its role in template.yaml, as AWS would: a call outside it fails."""

from typing import Any

import pytest
from botocore.exceptions import ClientError

from customer_bulk.dal import stores
from customer_bulk_local.emulator import LocalStack
from customer_bulk_local.iam import Arns, Policy, Statement
from customer_bulk_local.lambda_runtime import run_as


def test_a_function_acting_outside_its_role_is_refused_as_aws_refuses_it(stack: LocalStack, tenant: str) -> None:
    # The notifier may update jobs but not read files, nor touch another table.
    with pytest.raises(ClientError) as refused:
        run_as("NotifierFunction", stores().files.get_json)(f"jobs/{tenant}/01M8000000000000000000000A/x.json")
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert "NotifierFunction is not authorized to perform: s3:GetObject" in str(refused.value)

    # The same call as the report task, whose role allows reading decisions: allowed (the file is just absent).
    assert (
        run_as("ImportReportFunction", stores().files.get_json)(f"undo/{tenant}/01M8000000000000000000000A/1") is None
    )
    # A presigned URL is judged by its signer's rights: the notifier may not hand out a link to a report.
    with pytest.raises(ClientError, match="s3:GetObject"):
        run_as("NotifierFunction", stores().files.presigned_download)(f"jobs/{tenant}/j/reports/e.xlsx", "e.xlsx", 60)
    # Outside any function (the tests' own calls), nothing is checked.
    assert stores().jobs.get(tenant, "01M8000000000000000000000A") is None
    assert len(stack.iam_denied) == 2
    stack.iam_denied.clear()  # these were meant (the session's end asserts that no other call was refused)


def test_statements_are_evaluated_as_iam_does() -> None:
    arns = Arns("eu-west-1", "123456789012")
    policy = Policy(
        [
            Statement.parse({"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": "arn:aws:s3:::b/undo/*"}),
            Statement.parse(
                {
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": "arn:aws:s3:::b",
                    "Condition": {"StringLike": {"s3:prefix": ["jobs/*"]}},
                }
            ),
            Statement.parse({"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::b/undo/secret*"}),
        ]
    )

    def allowed(operation: str, **params: Any) -> bool:
        return all(policy.allows(request) for request in arns.requests("s3", operation, {"Bucket": "b", **params}))

    assert allowed("PutObject", Key="undo/t/j/1.json")
    assert not allowed("PutObject", Key="undo/t/j/1.json", Tagging="retention-days=30")  # tagging is its own right
    assert not allowed("PutObject", Key="undo/secret.json")  # an explicit deny wins
    assert not allowed("GetObject", Key="undo/t/j/1.json")
    assert allowed("ListObjectsV2", Prefix="jobs/t/j/")
    assert not allowed("ListObjectsV2", Prefix="uploads/t/")
    assert not allowed("DeleteObjects", Delete={"Objects": [{"Key": "undo/t/1"}]})
    with pytest.raises(ValueError, match="does not evaluate the condition"):
        Statement.parse(
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            }
        )
