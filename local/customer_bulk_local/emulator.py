"""The embedded local AWS: moto on 127.0.0.1, the template's resources, and its events wired as AWS wires them.

- S3 -> SQS: the bucket's own notification configuration (moto delivers to SQS, as S3 does).
- SQS -> Lambda: ``QueuePoller`` emulates the event source mapping (batches, partial failures, redrive).
- Step Functions: moto runs the template's own ASL files; their Lambda tasks reach our handlers in process,
  replacing moto's Docker invocation.
- SES: moto keeps what was sent; ``sent_emails`` reads it back.
- HTTP API: ``LocalHttpApi`` turns requests into the events API Gateway would send.

Production code never imports this package. Only one local stack runs per process (moto's state is global).
"""

import contextlib
import email
import email.policy
import io
import json
import logging
import os
import sys
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, cast

import boto3
import requests
from botocore.config import Config
from moto.core.config import default_user_config
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server
from werkzeug.wrappers import Request

from customer_bulk_local.http_api import LocalHttpApi, Route
from customer_bulk_local.lambda_runtime import FunctionOutput, FunctionSpec, LambdaRuntime
from customer_bulk_local.sqs_poller import EventSource, QueuePoller
from customer_bulk_local.template import Resolver, load_template, parameter_values
from customer_bulk_local.tenants import DEMO_TENANTS

ACCOUNT = "123456789012"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TEMPLATE = REPO_ROOT / "template.yaml"
LOCAL_PARAMETERS = {
    "JwtIssuer": "https://issuer.local",
    "JwtAudience": "customer-bulk-local",
    "SenderEmail": "imports@customer-bulk.local",
}
IGNORED_TYPES = {
    "AWS::SQS::QueuePolicy",  # moto does not enforce resource policies
    "AWS::Serverless::LayerVersion",  # the layer's package is importable here already
    "AWS::Serverless::HttpApi",  # routes come from the functions' HttpApi events
    "AWS::CloudWatch::Alarm",
}
JOB_HEADER = "X-Customer-Bulk-Job"

log = logging.getLogger("customer_bulk_local")


@dataclass
class SentEmail:
    to: list[str]
    sender: str
    subject: str
    text: str
    html: str
    job_id: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"to": self.to, "from": self.sender, "subject": self.subject, "text": self.text, "job_id": self.job_id}


@dataclass
class LocalStackOptions:
    template: Path = DEFAULT_TEMPLATE
    parameters: dict[str, Any] = field(default_factory=dict)
    region: str = "us-east-1"
    stack_name: str = "customer-bulk-local"
    api_port: int = 0
    # Seconds before a failed SQS message is retried (AWS: the queue's visibility timeout, 12 minutes here).
    sqs_retry_delay_s: float = 1.0
    # Step Functions retry intervals are multiplied by this (1.0: as written in the ASL).
    sfn_retry_scale: float = 1.0
    duplicate_deliveries: bool = False
    run_schedules: bool = False
    log_level: str = "WARNING"
    # Where the functions' own stdout goes (on AWS: their log stream); None discards it.
    function_output: TextIO | None = None


class _CountingApp:
    """Counts requests per service and operation, server-side, whoever the client is."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target:
            service, _, operation = target.partition(".")
            key = f"{service.split('_')[0].lower()}:{operation}"
        else:
            scope = environ.get("HTTP_AUTHORIZATION", "").split("Credential=")[-1].split("/")
            key = f"{scope[3] if len(scope) > 3 else 'unsigned'}:{environ.get('REQUEST_METHOD', '')}"
        with self._lock:
            self.counts[key] += 1
        return self.app(environ, start_response)


class _MotoServer(ThreadedMotoServer):
    def __init__(self) -> None:
        super().__init__(ip_address="127.0.0.1", port=0, verbose=False)
        self.counting: _CountingApp | None = None

    def _server_entry(self) -> None:
        self.counting = _CountingApp(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, self.counting, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever(poll_interval=0.05)


class LocalStack:
    _active: "LocalStack | None" = None

    def __init__(self, options: LocalStackOptions | None = None) -> None:
        self.options = options or LocalStackOptions()
        self._moto = _MotoServer()
        self._stopping = threading.Event()
        self.pollers: list[QueuePoller] = []
        self.runtime: LambdaRuntime | None = None
        self.api: LocalHttpApi | None = None
        self.resources: dict[str, dict[str, Any]] = {}
        self._saved_environ: dict[str, str | None] = {}
        self._restore: list[Any] = []

    # ---------- lifecycle ----------
    def start(self) -> "LocalStack":
        if LocalStack._active is not None:
            raise RuntimeError("A local stack is already running in this process")
        LocalStack._active = self
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        self._configure_process()
        self._build()
        for poller in self.pollers:
            poller.start()
        if self.options.run_schedules:
            threading.Thread(target=self._run_schedules, name="schedules", daemon=True).start()
        assert self.api is not None
        self.api.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        for poller in self.pollers:
            poller.join(timeout=0.05)  # they are daemons mid long-poll; the stopping flag silences their last call
        if self.api is not None:
            self.api.stop()
        with contextlib.suppress(requests.RequestException):
            requests.post(f"{self.endpoint_url}/moto-api/reset", timeout=10)
        self._moto.stop()
        for undo in reversed(self._restore):
            undo()
        for name, value in self._saved_environ.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _forget_aws_clients()
        LocalStack._active = None

    def __enter__(self) -> "LocalStack":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        assert self.api is not None
        return self.api.url

    # ---------- what tests and the CLI read ----------
    def client(self, service: str) -> Any:
        return cast(Any, boto3).client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=self.options.region,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - moto accepts any credentials
            config=Config(retries={"mode": "standard", "max_attempts": 3}),
        )

    def physical(self, logical_id: str) -> dict[str, Any]:
        return self.resources[logical_id]

    def sent_emails(self, job_id: str | None = None) -> list[SentEmail]:
        from moto.ses.models import ses_backends

        messages = []
        for message in list(ses_backends[ACCOUNT][self.options.region].sent_messages):
            raw = getattr(message, "raw_data", None)
            if raw is None:
                continue
            parsed = email.message_from_string(raw, policy=email.policy.default)
            text = parsed.get_body(preferencelist=("plain",))
            html = parsed.get_body(preferencelist=("html",))
            sent = SentEmail(
                to=[address.strip() for address in str(parsed["To"] or "").split(",") if address.strip()],
                sender=str(parsed["From"]),
                subject=str(parsed["Subject"]).strip(),  # a folded header unfolds with its leading space
                text=text.get_content() if text else "",
                html=html.get_content() if html else "",
                job_id=parsed.get(JOB_HEADER),
            )
            if job_id is None or sent.job_id == job_id:
                messages.append(sent)
        return messages

    def request_counts(self) -> Counter[str]:
        assert self._moto.counting is not None
        return Counter(self._moto.counting.counts)

    def wait_until_idle(self, timeout_s: float = 60) -> None:
        """Until no queue has visible or in-flight messages and no poller is mid-batch."""
        sqs = self.client("sqs")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            busy = any(poller.busy.is_set() for poller in self.pollers)
            for poller in self.pollers:
                attributes = sqs.get_queue_attributes(
                    QueueUrl=poller.source.queue_url,
                    AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
                )["Attributes"]
                busy = busy or any(int(value) for value in attributes.values())
            if not busy:
                return
            time.sleep(0.05)
        raise TimeoutError("The local stack did not become idle")

    def deliver_twice(self, enabled: bool) -> None:
        """At-least-once, made visible: every SQS batch is handed to its function a second time."""
        for poller in self.pollers:
            poller.duplicate_deliveries = enabled

    def run_scheduled(self, logical_id: str) -> Any:
        assert self.runtime is not None
        return self.runtime.invoke(logical_id, {"source": "aws.events", "detail-type": "Scheduled Event"})

    # ---------- building ----------
    def _process_environment(self) -> dict[str, str | None]:
        """What this process needs to be "inside" the local AWS; applied after the template's own variables."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": None,
            "AWS_DEFAULT_REGION": self.options.region,
            "AWS_REGION": self.options.region,
            "MOTO_PORT": self.endpoint_url.rsplit(":", 1)[1],  # moto's Step Functions interpreter calls Lambda here
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": self.options.log_level,
        }

    def _configure_process(self) -> None:
        console = sys.stdout
        logs = self.options.function_output or open(os.devnull, "w")  # noqa: SIM115 - lives as long as the stack
        sys.stdout = FunctionOutput(console, logs)
        self._restore.append(lambda: setattr(sys, "stdout", console))
        self._set_environ(self._process_environment())
        sfn_config = default_user_config["stepfunctions"]
        previous = sfn_config.get("execute_state_machine", False)
        sfn_config["execute_state_machine"] = True
        self._restore.append(lambda: sfn_config.__setitem__("execute_state_machine", previous))
        _patch_lambda_invocation(self)
        self._restore.append(_unpatch_lambda_invocation)
        _patch_sfn_retry_sleep(self.options.sfn_retry_scale, self._restore)
        _patch_dynamodb_item_serialization(self._restore)
        for name in ("moto", "werkzeug", "botocore", "urllib3"):
            logging.getLogger(name).setLevel(logging.ERROR)
        logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
        _forget_aws_clients()

    def _set_environ(self, values: dict[str, str | None]) -> None:
        for name, value in values.items():
            self._saved_environ.setdefault(name, os.environ.get(name))
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def _build(self) -> None:
        template = load_template(self.options.template)
        parameters = parameter_values(template, {**LOCAL_PARAMETERS, **self.options.parameters})
        resolver = Resolver(
            parameters=parameters,
            pseudo={
                "AWS::Region": self.options.region,
                "AWS::AccountId": ACCOUNT,
                "AWS::StackName": self.options.stack_name,
                "AWS::Partition": "aws",
                "AWS::URLSuffix": "amazonaws.com",
            },
        )
        resources: dict[str, dict[str, Any]] = template["Resources"]
        unknown = {r["Type"] for r in resources.values()} - set(_BUILDERS) - IGNORED_TYPES
        if unknown:
            raise ValueError(f"The local stack cannot build {sorted(unknown)}; teach it or ignore them explicitly")
        for logical_id, resource in resources.items():
            if resource["Type"] in _NAMERS:
                _NAMERS[resource["Type"]](self, resolver, logical_id, resource)
            else:
                resolver.refs[logical_id] = f"local-{logical_id}"  # not built here, but may be referenced
        globals_ = resolver.resolve(template.get("Globals", {}).get("Function", {}))
        self._set_environ({k: str(v) for k, v in globals_.get("Environment", {}).get("Variables", {}).items()})
        self._set_environ(self._process_environment())
        self._role = self.client("iam").create_role(
            RoleName="customer-bulk-local", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"})
        )["Role"]["Arn"]
        functions: list[FunctionSpec] = []
        for resource_type in _BUILD_ORDER:
            for logical_id, resource in sorted(resources.items(), key=_dead_letter_queues_first):
                if resource["Type"] == resource_type:
                    built = _BUILDERS[resource_type](self, resolver, logical_id, resource, globals_)
                    if isinstance(built, FunctionSpec):
                        functions.append(built)
        self.runtime = LambdaRuntime(functions, after_invoke=_drop_unpublished_metrics)
        self.runtime.load_all()
        self._wire_events(functions, parameters)
        self.client("ses").verify_email_identity(EmailAddress=str(parameters["SenderEmail"]))
        self._seed_tenants()

    def _seed_tenants(self) -> None:
        from customer_bulk.dal import job_store

        for tenant_id, settings in DEMO_TENANTS.items():
            job_store().put_tenant_settings(tenant_id, settings)

    def _wire_events(self, functions: list[FunctionSpec], parameters: dict[str, Any]) -> None:
        assert self.runtime is not None
        queues_by_arn = {r["Arn"]: r for r in self.resources.values() if r.get("kind") == "queue"}
        routes: list[Route] = []
        self._schedules: list[tuple[str, float]] = []
        for spec in functions:
            for event in spec.events.values():
                properties = event.get("Properties", {})
                if event["Type"] == "SQS":
                    queue = queues_by_arn[properties["Queue"]]
                    source = EventSource(
                        function=spec.logical_id,
                        queue_url=queue["Url"],
                        queue_arn=queue["Arn"],
                        batch_size=int(properties.get("BatchSize", 10)),
                        reports_failures="ReportBatchItemFailures" in properties.get("FunctionResponseTypes", []),
                    )
                    self.pollers.append(
                        QueuePoller(
                            self.client("sqs"),
                            source,
                            self.runtime.invoke,
                            self.options.region,
                            self.options.sqs_retry_delay_s,
                            self.options.duplicate_deliveries,
                            self._stopping,
                        )
                    )
                elif event["Type"] == "HttpApi":
                    routes.append(Route(properties["Method"].upper(), properties["Path"], spec.logical_id))
                elif event["Type"] == "Schedule":
                    self._schedules.append((spec.logical_id, _rate_seconds(properties["Schedule"])))
                else:
                    raise ValueError(f"The local stack cannot wire {event['Type']} events")
        self.api = LocalHttpApi(
            routes,
            self.runtime.invoke,
            (str(parameters["TenantClaim"]), str(parameters["EmailClaim"])),
            {"/_local/emails": self._emails_route},
            port=self.options.api_port,
        )

    def _emails_route(self, request: Request) -> list[dict[str, Any]]:
        return [sent.as_dict() for sent in self.sent_emails(request.args.get("job_id"))]

    def _run_schedules(self) -> None:
        next_run = {logical_id: time.monotonic() + every for logical_id, every in self._schedules}
        while not self._stopping.wait(1):
            for logical_id, every in self._schedules:
                if time.monotonic() >= next_run[logical_id]:
                    next_run[logical_id] = time.monotonic() + every
                    try:
                        self.run_scheduled(logical_id)
                    except Exception:
                        log.exception("Scheduled %s failed", logical_id)


# ---------- naming: every resource's Ref and attributes, before anything is created ----------
def _name_bucket(stack: LocalStack, resolver: Resolver, logical_id: str, resource: dict[str, Any]) -> None:
    name = (
        resolver.resolve(resource.get("Properties", {}).get("BucketName"))
        or f"{stack.options.stack_name}-{logical_id}".lower()
    )
    stack.resources[logical_id] = {"kind": "bucket", "Name": name, "Arn": f"arn:aws:s3:::{name}"}
    resolver.refs[logical_id] = name
    resolver.attributes[logical_id] = {"Arn": f"arn:aws:s3:::{name}"}


def _name_queue(stack: LocalStack, resolver: Resolver, logical_id: str, resource: dict[str, Any]) -> None:
    properties = resource.get("Properties", {})
    name = resolver.resolve(properties.get("QueueName")) or f"{stack.options.stack_name}-{logical_id}"
    if properties.get("FifoQueue") and not name.endswith(".fifo"):
        name += ".fifo"
    arn = f"arn:aws:sqs:{stack.options.region}:{ACCOUNT}:{name}"
    url = f"{stack.endpoint_url}/{ACCOUNT}/{name}"
    stack.resources[logical_id] = {"kind": "queue", "Name": name, "Arn": arn, "Url": url}
    resolver.refs[logical_id] = url
    resolver.attributes[logical_id] = {"Arn": arn, "QueueName": name, "QueueUrl": url}


def _name_table(stack: LocalStack, resolver: Resolver, logical_id: str, resource: dict[str, Any]) -> None:
    name = (
        resolver.resolve(resource.get("Properties", {}).get("TableName")) or f"{stack.options.stack_name}-{logical_id}"
    )
    arn = f"arn:aws:dynamodb:{stack.options.region}:{ACCOUNT}:table/{name}"
    stack.resources[logical_id] = {"kind": "table", "Name": name, "Arn": arn}
    resolver.refs[logical_id] = name
    resolver.attributes[logical_id] = {"Arn": arn}


def _name_function(stack: LocalStack, resolver: Resolver, logical_id: str, resource: dict[str, Any]) -> None:
    name = (
        resolver.resolve(resource.get("Properties", {}).get("FunctionName"))
        or f"{stack.options.stack_name}-{logical_id}"
    )
    arn = f"arn:aws:lambda:{stack.options.region}:{ACCOUNT}:function:{name}"
    stack.resources[logical_id] = {"kind": "function", "Name": name, "Arn": arn}
    resolver.refs[logical_id] = name
    resolver.attributes[logical_id] = {"Arn": arn}


def _name_state_machine(stack: LocalStack, resolver: Resolver, logical_id: str, resource: dict[str, Any]) -> None:
    name = resolver.resolve(resource.get("Properties", {}).get("Name")) or f"{stack.options.stack_name}-{logical_id}"
    arn = f"arn:aws:states:{stack.options.region}:{ACCOUNT}:stateMachine:{name}"
    stack.resources[logical_id] = {"kind": "state_machine", "Name": name, "Arn": arn}
    resolver.refs[logical_id] = arn
    resolver.attributes[logical_id] = {"Arn": arn, "Name": name}


def _name_event_bus(stack: LocalStack, resolver: Resolver, logical_id: str, resource: dict[str, Any]) -> None:
    name = resolver.resolve(resource.get("Properties", {}).get("Name")) or f"{stack.options.stack_name}-{logical_id}"
    arn = f"arn:aws:events:{stack.options.region}:{ACCOUNT}:event-bus/{name}"
    stack.resources[logical_id] = {"kind": "event_bus", "Name": name, "Arn": arn}
    resolver.refs[logical_id] = name
    resolver.attributes[logical_id] = {"Arn": arn, "Name": name}


_NAMERS = {
    "AWS::S3::Bucket": _name_bucket,
    "AWS::SQS::Queue": _name_queue,
    "AWS::DynamoDB::Table": _name_table,
    "AWS::Serverless::Function": _name_function,
    "AWS::Serverless::StateMachine": _name_state_machine,
    "AWS::Events::EventBus": _name_event_bus,
}


# ---------- building ----------
_QUEUE_ATTRIBUTES = (
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "SqsManagedSseEnabled",
)


def _dead_letter_queues_first(entry: tuple[str, dict[str, Any]]) -> int:
    return 1 if "RedrivePolicy" in entry[1].get("Properties", {}) else 0


def _build_queue(stack: LocalStack, resolver: Resolver, logical_id: str, resource: dict[str, Any], _: Any) -> None:
    properties = resolver.resolve(resource.get("Properties", {}))
    attributes = {name: _attribute(properties[name]) for name in _QUEUE_ATTRIBUTES if name in properties}
    if "RedrivePolicy" in properties:
        attributes["RedrivePolicy"] = json.dumps(properties["RedrivePolicy"])
    stack.client("sqs").create_queue(QueueName=stack.resources[logical_id]["Name"], Attributes=attributes)


def _build_table(stack: LocalStack, resolver: Resolver, logical_id: str, resource: dict[str, Any], _: Any) -> None:
    properties = resolver.resolve(resource.get("Properties", {}))
    kwargs = {
        key: properties[key]
        for key in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "LocalSecondaryIndexes")
        if key in properties
    }
    name = stack.resources[logical_id]["Name"]
    stack.client("dynamodb").create_table(
        TableName=name, BillingMode=properties.get("BillingMode", "PAY_PER_REQUEST"), **kwargs
    )
    ttl = properties.get("TimeToLiveSpecification")
    if ttl:
        stack.client("dynamodb").update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)


def _build_bucket(stack: LocalStack, resolver: Resolver, logical_id: str, resource: dict[str, Any], _: Any) -> None:
    properties = resolver.resolve(resource.get("Properties", {}))
    s3 = stack.client("s3")
    name = stack.resources[logical_id]["Name"]
    s3.create_bucket(Bucket=name)
    cors = properties.get("CorsConfiguration")
    if cors:
        rules = [
            {("MaxAgeSeconds" if key == "MaxAge" else key): value for key, value in rule.items() if key != "Id"}
            for rule in cors["CorsRules"]
        ]
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
    lifecycle = properties.get("LifecycleConfiguration", {}).get("Rules", [])
    if lifecycle:  # moto validates the rules, so the template's own rules are checked here too
        s3.put_bucket_lifecycle_configuration(
            Bucket=name, LifecycleConfiguration={"Rules": [_lifecycle_rule(rule) for rule in lifecycle]}
        )
    queue_configurations = [
        {
            "QueueArn": entry["Queue"],
            "Events": [entry["Event"]],
            **({"Filter": {"Key": {"FilterRules": entry["Filter"]["S3Key"]["Rules"]}}} if "Filter" in entry else {}),
        }
        for entry in properties.get("NotificationConfiguration", {}).get("QueueConfigurations", [])
    ]
    if queue_configurations:
        s3.put_bucket_notification_configuration(
            Bucket=name, NotificationConfiguration={"QueueConfigurations": queue_configurations}
        )


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation lifecycle rule in the shape of S3's API."""
    prefix = rule.get("Prefix", "")
    tags = rule.get("TagFilters", [])
    if tags:
        rule_filter: dict[str, Any] = {"And": {"Prefix": prefix, "Tags": tags}}
    else:
        rule_filter = {"Prefix": prefix}
    converted: dict[str, Any] = {"ID": rule["Id"], "Status": rule["Status"], "Filter": rule_filter}
    if "ExpirationInDays" in rule:
        converted["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if "AbortIncompleteMultipartUpload" in rule:
        days = int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        converted["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": days}
    return converted


def _build_function(
    stack: LocalStack, resolver: Resolver, logical_id: str, resource: dict[str, Any], globals_: dict[str, Any]
) -> FunctionSpec:
    properties = {**globals_, **resolver.resolve(resource.get("Properties", {}))}
    own_environment = resolver.resolve(resource.get("Properties", {})).get("Environment", {}).get("Variables", {})
    if own_environment:
        # Functions share this process's environment, so per-function variables cannot be honoured.
        raise ValueError(f"{logical_id}: put environment variables in Globals for the local stack")
    module = properties["CodeUri"].strip("/").replace("/", ".")
    handler_module, handler = properties["Handler"].rsplit(".", 1)
    name = stack.resources[logical_id]["Name"]
    stack.client("lambda").create_function(
        FunctionName=name,
        Runtime=properties["Runtime"],
        Role=stack._role,
        Handler=properties["Handler"],
        Code={"ZipFile": _empty_zip()},
        Timeout=int(properties.get("Timeout", 3)),
        MemorySize=int(properties.get("MemorySize", 128)),
    )
    return FunctionSpec(
        logical_id=logical_id,
        name=name,
        arn=stack.resources[logical_id]["Arn"],
        module=f"{module}.{handler_module}",
        handler=handler,
        timeout_s=int(properties.get("Timeout", 3)),
        memory_mb=int(properties.get("MemorySize", 128)),
        environment={},
        events=resolver.resolve(resource.get("Properties", {}).get("Events", {})),
    )


def _build_state_machine(
    stack: LocalStack, resolver: Resolver, logical_id: str, resource: dict[str, Any], _: Any
) -> None:
    properties = resource["Properties"]
    definition = (stack.options.template.parent / properties["DefinitionUri"]).read_text(encoding="utf-8")
    for key, value in resolver.resolve(properties.get("DefinitionSubstitutions", {})).items():
        definition = definition.replace("${" + key + "}", str(value))
    stack.client("stepfunctions").create_state_machine(
        name=stack.resources[logical_id]["Name"], definition=definition, roleArn=stack._role
    )


def _build_event_bus(stack: LocalStack, resolver: Resolver, logical_id: str, resource: dict[str, Any], _: Any) -> None:
    stack.client("events").create_event_bus(Name=stack.resources[logical_id]["Name"])


_BUILDERS: dict[str, Any] = {
    "AWS::Events::EventBus": _build_event_bus,
    "AWS::SQS::Queue": _build_queue,
    "AWS::DynamoDB::Table": _build_table,
    "AWS::S3::Bucket": _build_bucket,
    "AWS::Serverless::Function": _build_function,
    "AWS::Serverless::StateMachine": _build_state_machine,
}
_BUILD_ORDER = list(_BUILDERS)


def _attribute(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _rate_seconds(expression: str) -> float:
    amount, unit = expression.removeprefix("rate(").removesuffix(")").split()
    return float(amount) * {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}[unit]


def _empty_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "# the local stack runs the handler in process\n")
    return buffer.getvalue()


# ---------- patches of moto, undone when the stack stops ----------
def _patch_lambda_invocation(stack: LocalStack) -> None:
    from moto.awslambda.models import LambdaFunction

    original = LambdaFunction._invoke_lambda

    def invoke_in_process(self: Any, event: Any = None) -> tuple[str, bool, str]:
        active = LocalStack._active
        if active is None or active.runtime is None:
            return original(self, event)
        payload = json.loads(event) if isinstance(event, str) else event
        try:
            result = active.runtime.invoke(self.function_name, payload)
        except Exception as error:
            log.warning("%s raised in a state machine task", self.function_name, exc_info=True)
            return json.dumps({"errorMessage": str(error), "errorType": type(error).__name__}), True, ""
        return json.dumps(result), False, ""

    LambdaFunction._invoke_lambda = invoke_in_process  # type: ignore[method-assign]
    _patch_lambda_invocation.original = original  # type: ignore[attr-defined]


def _unpatch_lambda_invocation() -> None:
    from moto.awslambda.models import LambdaFunction

    LambdaFunction._invoke_lambda = _patch_lambda_invocation.original  # type: ignore[attr-defined,method-assign]


def _patch_sfn_retry_sleep(scale: float, restore: list[Any]) -> None:
    if scale == 1.0:
        return
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    real_time = getattr(retrier_decl, "time")  # noqa: B009 - the module's own `import time`

    class _ScaledTime:
        def __getattr__(self, name: str) -> Any:
            return getattr(real_time, name)

        @staticmethod
        def sleep(seconds: float) -> None:
            real_time.sleep(seconds * scale)

    setattr(retrier_decl, "time", _ScaledTime())  # noqa: B010
    restore.append(lambda: setattr(retrier_decl, "time", real_time))


# DynamoDB's answers that carry items, and where the items are in them.
_ITEM_RESULTS = {"Query": "Items", "Scan": "Items", "BatchGetItem": "Responses", "GetItem": "Item"}


def _patch_dynamodb_item_serialization(restore: list[Any]) -> None:
    """moto serializes every attribute value through the service model (about 0.5 ms each), which makes reading
    back 65,000 customers take minutes. Items are already DynamoDB JSON when moto hands them over, so they are
    written with ``json`` and the rest of the answer still goes through moto's serializer (same bytes on the
    wire, a unit test compares them)."""
    from moto.dynamodb.responses import DynamoResult

    original = DynamoResult.execute_result

    def execute_result(self: Any, context: Any) -> Any:
        operation = context.operation_model.name
        result = self.result
        if operation not in _ITEM_RESULTS or not isinstance(result, dict) or _ITEM_RESULTS[operation] not in result:
            return original(self, context)
        name = _ITEM_RESULTS[operation]
        items = result[name]
        try:
            encoded_items = json.dumps(items, separators=(",", ":"))
        except TypeError:  # binary attributes need moto's base64 encoding
            return original(self, context)
        rest = DynamoResult.__new__(DynamoResult)
        rest._result = {key: value for key, value in result.items() if key != name}
        status, headers, body = original(rest, context)
        head = body.decode() if isinstance(body, bytes) else body
        joined = head[:-1] + ("," if head.strip() != "{}" else "") + f'"{name}":{encoded_items}}}'
        return status, headers, joined

    DynamoResult.execute_result = execute_result  # type: ignore[method-assign]
    restore.append(lambda: setattr(DynamoResult, "execute_result", original))


def _drop_unpublished_metrics() -> None:
    """On Lambda, each invocation flushes its metrics. Here metrics are disabled, so Powertools never flushes, and
    one process serves every invocation: the values would pile up until its 100-value limit makes it publish
    (which it does even when disabled, and fails without a namespace)."""
    from customer_bulk.observability import metrics

    metrics.clear_metrics()


def _forget_aws_clients() -> None:
    """Our data-access layer caches clients per process: drop them when the endpoint changes."""
    from customer_bulk import dal, settings
    from customer_bulk.dal import clients

    clients.aws_client.cache_clear()
    settings.get_settings.cache_clear()
    for factory in (
        dal.customer_store,
        dal.job_store,
        dal.file_store,
        dal.chunk_queue,
        dal.import_workflow,
        dal.export_workflow,
        dal.exporter,
        dal.mailer,
        dal.flow_bus,
    ):
        factory.cache_clear()


@contextmanager
def local_stack(**options: Any) -> Iterator[LocalStack]:
    stack = LocalStack(LocalStackOptions(**options)).start()
    try:
        yield stack
    finally:
        stack.stop()
