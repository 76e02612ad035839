"""IAM for the functions' own AWS calls, evaluated the way AWS evaluates an identity policy.

moto lets any caller do anything. Here every call a function makes (and every URL it presigns, which S3 will judge
by the signer's rights) is checked against the statements of that function's role in template.yaml: an action the
role does not allow fails with AccessDenied, as it would on AWS, so a test catches a policy that is too narrow.
(The template test catches one that is too wide.)

Only what our roles use is understood: Allow / Deny statements with Action and Resource wildcards, and the
``StringLike`` / ``StringEquals`` conditions on ``s3:prefix``. Anything else is refused when the stack starts,
rather than guessed.
"""

import base64
import fnmatch
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

from botocore.exceptions import ClientError

# S3 operations whose IAM action is not "s3:" + the operation's name.
_S3_ACTIONS = {
    "HeadObject": "s3:GetObject",
    "ListObjectsV2": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
    "DeleteObjects": "s3:DeleteObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
}
_CONDITION_KEYS = {"s3:prefix"}
_OPERATORS = {"StringLike", "StringEquals"}


@dataclass(frozen=True)
class AccessRequest:
    action: str
    resource: str
    context: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.action} on {self.resource}"


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    @classmethod
    def parse(cls, statement: dict[str, Any]) -> "Statement":
        unknown = set(statement) - {"Sid", "Effect", "Action", "Resource", "Condition"}
        if unknown:
            raise ValueError(f"The local IAM does not evaluate {sorted(unknown)} in {statement}")
        conditions = []
        for operator, keys in (statement.get("Condition") or {}).items():
            for key, values in keys.items():
                if operator not in _OPERATORS or key not in _CONDITION_KEYS:
                    raise ValueError(f"The local IAM does not evaluate the condition {operator} {key}")
                conditions.append((operator, key, tuple(_as_list(values))))
        return cls(
            effect=statement["Effect"],
            actions=tuple(action.lower() for action in _as_list(statement["Action"])),
            resources=tuple(_as_list(statement["Resource"])),
            conditions=tuple(conditions),
        )

    def matches(self, request: AccessRequest) -> bool:
        return (
            any(fnmatch.fnmatchcase(request.action.lower(), action) for action in self.actions)
            and any(fnmatch.fnmatchcase(request.resource, resource) for resource in self.resources)
            and all(_condition_holds(operator, request.context.get(key), values)
                    for operator, key, values in self.conditions)
        )  # fmt: skip


def _as_list(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


def _condition_holds(operator: str, value: str | None, allowed: tuple[str, ...]) -> bool:
    if value is None:
        return False
    if operator == "StringEquals":
        return value in allowed
    return any(fnmatch.fnmatchcase(value, pattern) for pattern in allowed)


@dataclass
class Policy:
    """The statements of one role (its inline policies)."""

    statements: list[Statement]

    @classmethod
    def of_role(cls, role_properties: dict[str, Any]) -> "Policy":
        if role_properties.get("ManagedPolicyArns"):
            raise ValueError("The local IAM evaluates inline policies only; write the statements out")
        statements = [
            Statement.parse(statement)
            for policy in role_properties.get("Policies", [])
            for statement in policy["PolicyDocument"]["Statement"]
        ]
        return cls(statements)

    def allows(self, request: AccessRequest) -> bool:
        matching = [statement for statement in self.statements if statement.matches(request)]
        return any(s.effect == "Allow" for s in matching) and not any(s.effect == "Deny" for s in matching)


@dataclass
class Arns:
    region: str
    account: str

    def requests(self, service: str, operation: str, params: dict[str, Any]) -> list[AccessRequest]:
        """What IAM is asked when a client calls ``operation`` with ``params``."""
        if service == "s3":
            return self._s3(operation, params)
        if service == "dynamodb":
            return self._dynamodb(operation, params)
        prefix = f"arn:aws:{{}}:{self.region}:{self.account}:"
        if service == "sqs":
            name = str(params["QueueUrl"]).rstrip("/").rsplit("/", 1)[-1]
            action = "SendMessage" if operation == "SendMessageBatch" else operation
            return [AccessRequest(f"sqs:{action}", prefix.format("sqs") + name)]
        if service == "stepfunctions":
            return [
                AccessRequest(f"states:{operation}", str(params.get("stateMachineArn") or params.get("executionArn")))
            ]
        if service == "sesv2" and operation == "SendEmail":
            sender = str(params["FromEmailAddress"]).rsplit("<", 1)[-1].rstrip(">")
            return [AccessRequest("ses:SendEmail", prefix.format("ses") + f"identity/{sender}")]
        if service == "events" and operation == "PutEvents":
            buses = {str(entry.get("EventBusName") or "default") for entry in params["Entries"]}
            arns = [bus if bus.startswith("arn:") else prefix.format("events") + f"event-bus/{bus}" for bus in buses]
            return [AccessRequest("events:PutEvents", arn) for arn in sorted(arns)]
        if service == "lambda" and operation == "Invoke":
            name = str(params["FunctionName"])
            arn = name if name.startswith("arn:") else prefix.format("lambda") + f"function:{name}"
            return [AccessRequest("lambda:InvokeFunction", arn)]
        if service == "secretsmanager":
            return [AccessRequest(f"secretsmanager:{operation}", str(params["SecretId"]))]
        raise ValueError(f"The local IAM does not know what {service}:{operation} asks for")

    def _s3(self, operation: str, params: dict[str, Any]) -> list[AccessRequest]:
        bucket = f"arn:aws:s3:::{params['Bucket']}"
        if operation in ("ListObjectsV2", "ListObjects"):
            return [AccessRequest("s3:ListBucket", bucket, {"s3:prefix": str(params.get("Prefix", ""))})]
        if operation == "DeleteObjects":
            return [AccessRequest("s3:DeleteObject", f"{bucket}/{item['Key']}") for item in params["Delete"]["Objects"]]
        action = _S3_ACTIONS.get(operation, f"s3:{operation}")
        requests = [AccessRequest(action, f"{bucket}/{params['Key']}")]
        if operation == "PutObject" and params.get("Tagging"):
            requests.append(AccessRequest("s3:PutObjectTagging", f"{bucket}/{params['Key']}"))
        return requests

    def _dynamodb(self, operation: str, params: dict[str, Any]) -> list[AccessRequest]:
        table_arn = f"arn:aws:dynamodb:{self.region}:{self.account}:table/"
        if operation in ("ExecuteStatement", "BatchExecuteStatement"):
            # PartiQL asks for an action per statement kind (PartiQLInsert, ...) on the table it names.
            texts = [s["Statement"] for s in params["Statements"]] if "Statements" in params else [params["Statement"]]
            asked = {_partiql_action(text) for text in texts}
            return [AccessRequest(action, f"{table_arn}{table}") for action, table in sorted(asked)]
        tables = list(params["RequestItems"]) if "RequestItems" in params else [params["TableName"]]
        index = f"/index/{params['IndexName']}" if params.get("IndexName") else ""
        return [AccessRequest(f"dynamodb:{operation}", f"{table_arn}{table}{index}") for table in tables]

    def presigned(self, url: str | None = None, post: dict[str, Any] | None = None) -> list[AccessRequest]:
        """A presigned GET is a GetObject by its signer; a presigned POST form a PutObject of the keys it allows."""
        if post is not None:
            bucket = urlparse(post["url"]).path.strip("/") or urlparse(post["url"]).netloc.split(".")[0]
            policy = json.loads(base64.b64decode(post["fields"]["policy"]))
            key = post["fields"]["key"]
            for condition in policy["conditions"]:
                if isinstance(condition, list) and condition[:2] == ["starts-with", "$key"]:
                    key = condition[2] + "*"
            return [AccessRequest("s3:PutObject", f"arn:aws:s3:::{bucket}/{key}")]
        assert url is not None
        parsed = urlparse(url)
        bucket, _, key = parsed.path.lstrip("/").partition("/")
        if "X-Amz-Credential" not in parse_qs(parsed.query):
            raise ValueError(f"Not a SigV4 presigned URL: {url.split('?')[0]}")
        return [AccessRequest("s3:GetObject", f"arn:aws:s3:::{bucket}/{key}")]


_PARTIQL = re.compile(
    r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM|SELECT\s+.*?\s+FROM)\s+"?([A-Za-z0-9_.-]+)"?', re.IGNORECASE | re.DOTALL
)


def _partiql_action(statement: str) -> tuple[str, str]:
    """(IAM action, table) a PartiQL statement asks for."""
    match = _PARTIQL.match(statement)
    if match is None:
        raise ValueError(f"The local IAM cannot read the PartiQL statement {statement[:60]!r}")
    verb = match.group(1).split()[0].capitalize()
    return f"dynamodb:PartiQL{verb}", match.group(2)


def access_denied(service: str, operation: str, function: str, request: AccessRequest) -> ClientError:
    code = "AccessDenied" if service == "s3" else "AccessDeniedException"
    message = f"{function} is not authorized to perform: {request.action} on resource: {request.resource}"
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)
