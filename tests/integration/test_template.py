"""The template and the state machines as AWS will see them: lint-clean, translatable by SAM, least privilege,
and wired the way the design promises (retries, catches, visibility timeouts, dead-letter queues)."""

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint_all
from samtranslator.translator.transform import transform

from customer_bulk_local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
DATA_SERVICES = ("s3:", "dynamodb:", "sqs:", "states:", "ses:", "lambda:")
PARAMETERS = {"JwtIssuer": "https://issuer.example", "JwtAudience": "web", "SenderEmail": "imports@shop.example"}


class _KnownManagedPolicies:
    """SAM's translator asks IAM for managed policy ARNs; these are the ones it may name."""

    def load(self) -> dict[str, str]:
        names = ("AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess", "AWSLambdaSQSQueueExecutionRole")
        return {name: f"arn:aws:iam::aws:policy/{name}" for name in names}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


@pytest.fixture(scope="module")
def translated(template: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """What `sam build` + CloudFormation would deploy: local paths replaced as SAM CLI replaces them."""
    sam = copy.deepcopy(template)
    for resource in sam["Resources"].values():
        properties = resource.get("Properties", {})
        if "CodeUri" in properties:
            properties["CodeUri"] = "s3://artifacts/code.zip"
        if "ContentUri" in properties:
            properties["ContentUri"] = "s3://artifacts/layer.zip"
        if "DefinitionUri" in properties:
            properties["Definition"] = json.loads((ROOT / properties.pop("DefinitionUri")).read_text())
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "eu-west-1")  # the translator builds ARNs for a region
        yield transform(sam, PARAMETERS, _KnownManagedPolicies())


# I4010 asks for a metadata block on every resource; the template states the architecture once, at the top.
ACCEPTED_INFORMATIONAL = {"I4010"}


def test_cfn_lint_reports_no_error_no_warning_and_no_informational_finding() -> None:
    matches = [m for m in lint_all(TEMPLATE.read_text()) if m.rule.id not in ACCEPTED_INFORMATIONAL]
    assert [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches] == []


def test_sams_translator_turns_it_into_cloudformation(translated: dict[str, Any]) -> None:
    types = {resource["Type"] for resource in translated["Resources"].values()}
    assert {"AWS::Lambda::Function", "AWS::StepFunctions::StateMachine", "AWS::ApiGatewayV2::Api"} <= types
    assert "AWS::Lambda::EventSourceMapping" in types


def test_no_role_grants_a_data_action_on_every_resource(translated: dict[str, Any]) -> None:
    offending = []
    for name, resource in translated["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for policy in resource["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                resources = (
                    statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                )
                if "*" in resources and any(action.startswith(DATA_SERVICES) for action in actions):
                    offending.append((name, actions))
    assert offending == []


def test_each_queue_outlasts_its_consumer_six_times_and_dead_letters_after_three(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    globals_timeout = template["Globals"]["Function"]["Timeout"]
    checked = 0
    for function in (r for r in resources.values() if r["Type"] == "AWS::Serverless::Function"):
        timeout = function["Properties"].get("Timeout", globals_timeout)
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] != "SQS":
                continue
            queue = resources[event["Properties"]["Queue"]["Fn::GetAtt"][0]]["Properties"]
            assert queue["VisibilityTimeout"] >= 6 * timeout
            assert "ReportBatchItemFailures" in event["Properties"]["FunctionResponseTypes"]
            if "RedrivePolicy" in queue:
                # Webhook deliveries get a day of attempts with a growing delay (docs/adr/0010); work, three.
                expected = 8 if event["Properties"]["Queue"]["Fn::GetAtt"][0] == "WebhookQueue" else 3
                assert queue["RedrivePolicy"]["maxReceiveCount"] == expected
            checked += 1
    assert checked == 5  # uploads, chunks, the two dead-letter queues, and webhooks


def test_no_sqs_triggered_function_has_its_own_dead_letter_queue(template: dict[str, Any]) -> None:
    for function in (r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"):
        assert "DeadLetterQueue" not in function["Properties"]  # the queue's redrive policy is what works


@pytest.mark.parametrize("path", sorted((ROOT / "statemachine").glob("*.asl.json")), ids=lambda p: p.name)
def test_every_task_retries_and_catches_into_a_notified_failure(path: Path, template: dict[str, Any]) -> None:
    definition = json.loads(path.read_text())
    states = definition["States"]
    for name, state in states.items():
        if state["Type"] == "Task":
            assert state.get("Retry"), f"{name} has no Retry"
            assert state.get("Catch"), f"{name} has no Catch"
            assert all(catch["ErrorEquals"] == ["States.ALL"] for catch in state["Catch"])
    placeholders = set(re.findall(r"\$\{(\w+)\}", path.read_text()))
    machines = [r for r in template["Resources"].values() if r.get("Properties", {}).get("DefinitionUri")]
    substitutions = next(
        m["Properties"]["DefinitionSubstitutions"] for m in machines if path.name in m["Properties"]["DefinitionUri"]
    )
    assert placeholders == set(substitutions)


def test_every_function_in_the_template_has_its_handler(template: dict[str, Any]) -> None:
    import importlib

    for name, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            properties = resource["Properties"]
            module, handler = properties["Handler"].rsplit(".", 1)
            package = properties["CodeUri"].strip("/").replace("/", ".")
            assert callable(getattr(importlib.import_module(f"{package}.{module}"), handler)), name


def test_every_undo_window_a_tenant_may_choose_has_a_lifecycle_rule(template: dict[str, Any]) -> None:
    from customer_bulk.models.tenant import UNDO_RETENTION_DAYS
    from customer_bulk.paths import RETENTION_TAG, UNDO

    rules = template["Resources"]["FilesBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    kept = {
        int(rule["TagFilters"][0]["Value"]): rule["ExpirationInDays"]
        for rule in rules
        if rule.get("Prefix") == f"{UNDO}/" and rule.get("TagFilters", [{}])[0].get("Key") == RETENTION_TAG
    }
    assert kept == {days: days for days in UNDO_RETENTION_DAYS}
    assert all(not rule.get("Prefix", "").startswith(f"{UNDO}/") or rule.get("TagFilters") for rule in rules)


# What each function's role may do, beyond writing its own log group and sending X-Ray traces (asserted for all).
# Widening any of these (another action, a broader resource) fails here; narrowing one below what the code does
# fails the tests on the local stack, which enforces these statements on every call (local/customer_bulk_local/iam).
GRANTS = {
    "ApiFunction": {
        "dynamodb:GetItem JobsTable.Arn",
        "dynamodb:PutItem JobsTable.Arn",
        "dynamodb:Query ${CustomersTable.Arn}/index/ByTenant",
        "dynamodb:Query JobsTable.Arn",
        "dynamodb:UpdateItem JobsTable.Arn",
        "lambda:InvokeFunction ExporterFunction.Arn",
        "s3:DeleteObject ${FilesBucket.Arn}/jobs/*/chunks/*",
        "s3:DeleteObject ${FilesBucket.Arn}/jobs/*/preview/*",
        "s3:DeleteObject ${FilesBucket.Arn}/uploads/*",
        "s3:GetObject ${FilesBucket.Arn}/exports/*/selection.json",
        "s3:GetObject ${FilesBucket.Arn}/jobs/*/chunks/*",
        "s3:GetObject ${FilesBucket.Arn}/jobs/*/mapping-review.json",
        "s3:GetObject ${FilesBucket.Arn}/jobs/*/preview/*",
        "s3:GetObject ${FilesBucket.Arn}/undo/*",
        "s3:ListBucket FilesBucket.Arn",
        "s3:PutObject ${FilesBucket.Arn}/exports/*/selection.json",
        "s3:PutObject ${FilesBucket.Arn}/uploads/*",
        "events:PutEvents JobEventBus.Arn",
        "secretsmanager:GetSecretValue LinkSigningSecret",
        "secretsmanager:GetSecretValue WebhookSigningSecret",
        "sqs:SendMessage ChunkQueue.Arn",
        "sqs:SendMessage UploadQueue.Arn",
        "states:StartExecution stateMachine:${AWS::StackName}-export",
    },
    "DownloadFunction": {
        "s3:GetObject ${FilesBucket.Arn}/exports/*/files/*",
        "s3:GetObject ${FilesBucket.Arn}/jobs/*/reports/*",
        "secretsmanager:GetSecretValue LinkSigningSecret",
    },
    "ImportSplitterFunction": {
        "dynamodb:GetItem JobsTable.Arn",
        "dynamodb:PutItem JobsTable.Arn",
        "dynamodb:UpdateItem JobsTable.Arn",
        "s3:DeleteObject ${FilesBucket.Arn}/jobs/*/chunks/*",
        "s3:GetObject ${FilesBucket.Arn}/uploads/*",
        "s3:PutObject ${FilesBucket.Arn}/jobs/*/chunks/*",
        "s3:PutObject ${FilesBucket.Arn}/jobs/*/mapping-review.json",
        "sqs:ChangeMessageVisibility UploadQueue.Arn",
        "sqs:DeleteMessage UploadQueue.Arn",
        "sqs:GetQueueAttributes UploadQueue.Arn",
        "sqs:ReceiveMessage UploadQueue.Arn",
        "sqs:SendMessage ChunkQueue.Arn",
        "states:StartExecution stateMachine:${AWS::StackName}-import",
    },
    "RowValidatorFunction": {
        "dynamodb:BatchGetItem CustomersTable.Arn",
        "dynamodb:PartiQLInsert CustomersTable.Arn",
        "dynamodb:PartiQLUpdate CustomersTable.Arn",
        "dynamodb:PartiQLDelete CustomersTable.Arn",
        "dynamodb:GetItem JobsTable.Arn",
        "dynamodb:Query ${CustomersTable.Arn}/index/ByTenant",
        "dynamodb:UpdateItem JobsTable.Arn",
        "events:PutEvents FlowEventBus.Arn",
        "s3:GetObject ${FilesBucket.Arn}/jobs/*/chunks/*",
        "s3:GetObject ${FilesBucket.Arn}/jobs/*/preview/*",
        "s3:GetObject ${FilesBucket.Arn}/jobs/*/rollback/*",
        "s3:GetObject ${FilesBucket.Arn}/undo/*",
        "s3:PutObject ${FilesBucket.Arn}/jobs/*/preview/*",
        "s3:PutObject ${FilesBucket.Arn}/jobs/*/rollback/*",
        "s3:PutObject ${FilesBucket.Arn}/undo/*",
        "s3:PutObjectTagging ${FilesBucket.Arn}/undo/*",
        "sqs:ChangeMessageVisibility ChunkQueue.Arn",
        "sqs:DeleteMessage ChunkQueue.Arn",
        "sqs:GetQueueAttributes ChunkQueue.Arn",
        "sqs:ReceiveMessage ChunkQueue.Arn",
        "states:StartExecution stateMachine:${AWS::StackName}-import",
    },
    "FailedChunkFunction": {
        "dynamodb:GetItem JobsTable.Arn",
        "dynamodb:UpdateItem JobsTable.Arn",
        "s3:GetObject ${FilesBucket.Arn}/undo/*",
        "sqs:ChangeMessageVisibility ChunkDeadLetterQueue.Arn",
        "sqs:DeleteMessage ChunkDeadLetterQueue.Arn",
        "sqs:GetQueueAttributes ChunkDeadLetterQueue.Arn",
        "sqs:ReceiveMessage ChunkDeadLetterQueue.Arn",
        "states:StartExecution stateMachine:${AWS::StackName}-import",
    },
    "FailedUploadFunction": {
        "dynamodb:GetItem JobsTable.Arn",
        "dynamodb:UpdateItem JobsTable.Arn",
        "sqs:ChangeMessageVisibility UploadDeadLetterQueue.Arn",
        "sqs:DeleteMessage UploadDeadLetterQueue.Arn",
        "sqs:GetQueueAttributes UploadDeadLetterQueue.Arn",
        "sqs:ReceiveMessage UploadDeadLetterQueue.Arn",
        "states:StartExecution stateMachine:${AWS::StackName}-import",
    },
    "ImportReportFunction": {
        "dynamodb:GetItem JobsTable.Arn",
        "dynamodb:UpdateItem JobsTable.Arn",
        "s3:GetObject ${FilesBucket.Arn}/jobs/*/chunks/*",
        "s3:GetObject ${FilesBucket.Arn}/jobs/*/preview/*",
        "s3:GetObject ${FilesBucket.Arn}/jobs/*/rollback/*",
        "s3:GetObject ${FilesBucket.Arn}/undo/*",
        "s3:PutObject ${FilesBucket.Arn}/jobs/*/reports/*",
        "secretsmanager:GetSecretValue LinkSigningSecret",
    },
    "NotifierFunction": {
        "dynamodb:GetItem JobsTable.Arn",
        "dynamodb:UpdateItem JobsTable.Arn",
        "events:PutEvents JobEventBus.Arn",
        "ses:SendEmail arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${Domain}",
        "ses:SendEmail arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${SenderEmail}",
    },
    "WebhookFunction": {
        "dynamodb:GetItem JobsTable.Arn",
        "secretsmanager:GetSecretValue WebhookSigningSecret",
        "sqs:ChangeMessageVisibility WebhookQueue.Arn",
        "sqs:DeleteMessage WebhookQueue.Arn",
        "sqs:GetQueueAttributes WebhookQueue.Arn",
        "sqs:ReceiveMessage WebhookQueue.Arn",
    },
    "JobSweeperFunction": {
        "dynamodb:GetItem JobsTable.Arn",
        "dynamodb:Query ${JobsTable.Arn}/index/ByActivity",
        "dynamodb:UpdateItem JobsTable.Arn",
        "s3:DeleteObject ${FilesBucket.Arn}/jobs/*/chunks/*",
        "s3:DeleteObject ${FilesBucket.Arn}/jobs/*/preview/*",
        "s3:DeleteObject ${FilesBucket.Arn}/uploads/*",
        "s3:ListBucket FilesBucket.Arn",
        "states:StartExecution stateMachine:${AWS::StackName}-import",
    },
    "ExportPlannerFunction": {
        "dynamodb:GetItem JobsTable.Arn",
        "dynamodb:Query ${CustomersTable.Arn}/index/ByTenant",
        "dynamodb:PutItem JobsTable.Arn",
        "dynamodb:UpdateItem JobsTable.Arn",
        "s3:GetObject ${FilesBucket.Arn}/exports/*/selection.json",
    },
    "ExporterFunction": {
        "dynamodb:GetItem JobsTable.Arn",
        "dynamodb:Query ${CustomersTable.Arn}/index/ByTenant",
        "dynamodb:UpdateItem JobsTable.Arn",
        "s3:GetObject ${FilesBucket.Arn}/exports/*/selection.json",
        "s3:PutObject ${FilesBucket.Arn}/exports/*/files/*",
    },
    "ExportReportFunction": {
        "dynamodb:GetItem JobsTable.Arn",
        "dynamodb:PutItem JobsTable.Arn",
        "dynamodb:UpdateItem JobsTable.Arn",
        "secretsmanager:GetSecretValue LinkSigningSecret",
    },
}
# Services whose actions accept no resource narrower than "*" (AWS documents these).
ONLY_STAR = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"} | {
    f"logs:{action}"
    for action in (
        "CreateLogDelivery", "GetLogDelivery", "UpdateLogDelivery", "DeleteLogDelivery", "ListLogDeliveries",
        "PutResourcePolicy", "DescribeResourcePolicies", "DescribeLogGroups",
    )
}  # fmt: skip


def _as_written(node: Any) -> str:
    """A resource as the template writes it, intrinsics spelled out: FilesBucket.Arn, ${FilesBucket.Arn}/jobs/*."""
    if isinstance(node, str):
        return node
    if "Fn::GetAtt" in node:
        return ".".join(node["Fn::GetAtt"])
    if "Ref" in node:
        return str(node["Ref"])
    if "Fn::Sub" in node:
        text = node["Fn::Sub"] if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"][0]
        return str(text).replace("arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:", "")
    raise ValueError(f"unexpected intrinsic {node}")


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_each_function_role_allows_exactly_what_it_needs(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    granted = {}
    for name, resource in resources.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        properties = resource["Properties"]
        assert "Policies" not in properties, f"{name}: SAM-generated roles add AWS's broad managed policies"
        role = resources[properties["Role"]["Fn::GetAtt"][0]]["Properties"]
        assert "ManagedPolicyArns" not in role
        log_group = properties["LoggingConfig"]["LogGroup"]["Ref"]
        grants = set()
        for policy in role["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                assert statement["Effect"] == "Allow"
                for action in _listed(statement["Action"]):
                    grants |= {f"{action} {_as_written(target)}" for target in _listed(statement["Resource"])}
        own_logs = {f"logs:CreateLogStream {log_group}.Arn", f"logs:PutLogEvents {log_group}.Arn"}
        assert own_logs | {"xray:PutTraceSegments *", "xray:PutTelemetryRecords *"} <= grants, name
        granted[name] = {g for g in grants if not g.startswith(("logs:", "xray:"))}
    assert granted == GRANTS


def test_no_role_may_reconfigure_the_bucket_or_act_on_every_resource(translated: dict[str, Any]) -> None:
    """On the deployed form (SAM's own roles for the state machines included)."""
    forbidden = re.compile(r"^s3:(\*|PutBucket|PutLifecycle|PutObjectAcl|PutEncryption|DeleteBucket|PutAccessPoint)")
    offending = []
    for name, resource in translated["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        managed = [arn for arn in resource["Properties"].get("ManagedPolicyArns", []) if isinstance(arn, str)]
        assert set(managed) <= {"arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"}, name
        for policy in resource["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                actions = _listed(statement["Action"])
                if "*" in _listed(statement["Resource"]):
                    offending += [(name, action) for action in actions if action not in ONLY_STAR]
                offending += [(name, action) for action in actions if forbidden.match(action) or action.endswith(":*")]
    assert offending == []


def test_operations_are_configured_for_production(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    for table in ("CustomersTable", "JobsTable"):
        assert resources[table]["Properties"]["DeletionProtectionEnabled"] is True
    tls = resources["FilesBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert (tls["Effect"], tls["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})
    log_groups = [r for r in resources.values() if r["Type"] == "AWS::Logs::LogGroup"]
    assert all(group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"} for group in log_groups)
    functions = [r for r in resources.values() if r["Type"] == "AWS::Serverless::Function"]
    assert len(log_groups) == len(functions) + 2  # and the API's access log, and the state machines'
    alarms = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert len(alarms) == 8 and all(alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}] for alarm in alarms)
    watched = {m.get("MetricName") for m in alarms} | {
        q["MetricStat"]["Metric"]["MetricName"] for m in alarms for q in m.get("Metrics", []) if "MetricStat" in q
    }
    assert {"ApproximateNumberOfMessagesVisible", "Errors", "Throttles", "ExecutionsFailed", "5xx"} <= watched
    api = resources["HttpApi"]["Properties"]
    assert api["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": {"Ref": "ApiBurstLimit"},
        "ThrottlingRateLimit": {"Ref": "ApiRateLimit"},
    }
    assert "$context.path" not in api["AccessLogSettings"]["Format"]  # a download token is a credential
    for machine in ("ImportStateMachine", "ExportStateMachine"):
        logging = resources[machine]["Properties"]["Logging"]
        assert (logging["Level"], logging["IncludeExecutionData"]) == ("ERROR", False)
    uploads = resources["ImportSplitterFunction"]["Properties"]["Events"]["Uploads"]["Properties"]
    assert uploads["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "SplitterConcurrency"}}
