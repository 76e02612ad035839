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

from customer_bulk_local.faults import FaultInjector
from customer_bulk_local.http_api import Cors, LocalHttpApi, Route
from customer_bulk_local.iam import AccessRequest, Arns, Policy, access_denied
from customer_bulk_local.lambda_runtime import (
    Artifact,
    FunctionOutput,
    FunctionSpec,
    LambdaRuntime,
    RecordedCall,
    current_function,
    run_as,
)
from customer_bulk_local.local_issuer import LocalIssuer
from customer_bulk_local.partiql import patch_partiql_writes
from customer_bulk_local.s3_guard import PresignedS3Guard
from customer_bulk_local.sqs_poller import EventSource, QueuePoller
from customer_bulk_local.template import Resolver, load_template, parameter_values, table_definition

ACCOUNT = "123456789012"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TEMPLATE = REPO_ROOT / "template.yaml"
IGNORED_TYPES = {
    "AWS::SQS::QueuePolicy",  # moto does not enforce resource policies
    # TLS only: the loopback endpoint is plain HTTP, so the bucket's deny-without-TLS statement is not applied.
    "AWS::S3::BucketPolicy",
    "AWS::Serverless::LayerVersion",  # the layer's package is importable here already
    "AWS::Serverless::HttpApi",  # routes come from the functions' HttpApi events
    "AWS::CloudWatch::Alarm",
    "AWS::SNS::Topic",  # where alarms go
    "AWS::SNS::Subscription",
    # The console's CDN (template.yaml: ConsoleDistribution and its origin access control): moto has no CloudFront,
    # and locally `customer-bulk serve` hosts the console on an origin of its own (console_host.py) instead.
    "AWS::CloudFront::Distribution",
    "AWS::CloudFront::OriginAccessControl",
}
JOB_HEADER = "X-Customer-Bulk-Job"
# The one credential of the local stack (access key id and secret): S3's presigned forms and links are checked
# against it, so a tampered or forged one is refused.
LOCAL_KEY = "local"

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


class ProductHooks:
    """What a product tells the generic stack (customer_bulk_local.product): none of it is needed to emulate AWS."""

    def seed(self, stack: "LocalStack") -> None:
        """Data the stack starts with, once its resources exist."""

    def end_invocation(self) -> None:
        """What ends with an invocation on Lambda but lives on in one shared process."""

    def reset_clients(self) -> None:
        """Forget AWS clients cached in this process (the endpoint changes when a stack starts or stops)."""

    def environment(self) -> dict[str, str]:
        """Variables the functions see on this stack only (what must never be set on AWS)."""
        return {}


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
    # The SDK's retry backoff (throttling, 5xx) is multiplied by this (1.0: botocore's own delays).
    sdk_retry_scale: float = 1.0
    duplicate_deliveries: bool = False
    run_schedules: bool = False
    log_level: str = "WARNING"
    # Where the functions' own stdout goes (on AWS: their log stream); None discards it.
    function_output: TextIO | None = None
    hooks: ProductHooks = field(default_factory=ProductHooks)
    # `sam build`'s output: run each function from it, in a worker process with Lambda's import path (slower to
    # start; IAM is then not checked per call, see ADR 1). None: in this process, from the source tree.
    artifact: Path | None = None
    lambda_runtime: Path | None = None  # the runtime's own packages (default: lambda-runtime beside the build)


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
        self.faults = FaultInjector(DomainDispatcherApplication(create_backend_app))
        self.s3_guard = PresignedS3Guard(self.faults, {LOCAL_KEY: LOCAL_KEY})

    def _server_entry(self) -> None:
        self.counting = _CountingApp(self.s3_guard)
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
        self.template: dict[str, Any] = {}
        self._saved_environ: dict[str, str | None] = {}
        self._restore: list[Any] = []
        # Every AWS request a function made, as IAM saw it: (function, action, resource) -> count; and the refused.
        self.iam_requests: Counter[tuple[str, str, str]] = Counter()
        self.iam_denied: list[str] = []

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
        if self.runtime is not None:
            self.runtime.stop()
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
        self.options.hooks.reset_clients()
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
            aws_access_key_id=LOCAL_KEY,
            aws_secret_access_key=LOCAL_KEY,
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

    @property
    def faults(self) -> FaultInjector:
        """Faults AWS produces and moto does not (throttling, 5xx, unprocessed batch items), for tests to inject."""
        return self._moto.faults

    @property
    def s3_guard(self) -> PresignedS3Guard:
        """What the local S3 refused of presigned forms and links (``refusals``), and its clock (``now``)."""
        return self._moto.s3_guard

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

    def authorize(self, service: str, operation: str, requests: list[AccessRequest]) -> None:
        """Raise AccessDenied, as AWS would, when the running function's role does not allow a request."""
        function = current_function()
        if function is None or self.runtime is None:
            return  # the tests' and the emulator's own calls
        policy = self.runtime.spec(function).policy
        for request in requests:
            self.iam_requests[(function, request.action, request.resource)] += 1
            if policy is not None and not policy.allows(request):
                denied = access_denied(service, operation, function, request)
                log.warning("Access denied: %s", denied)
                self.iam_denied.append(str(denied))
                raise denied

    def run_scheduled(self, logical_id: str) -> Any:
        assert self.runtime is not None
        return self.runtime.invoke(logical_id, {"source": "aws.events", "detail-type": "Scheduled Event"})

    # ---------- building ----------
    def _process_environment(self) -> dict[str, str | None]:
        """What this process needs to be "inside" the local AWS; applied after the template's own variables."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": LOCAL_KEY,
            "AWS_SECRET_ACCESS_KEY": LOCAL_KEY,
            "AWS_SESSION_TOKEN": None,
            "AWS_DEFAULT_REGION": self.options.region,
            "AWS_REGION": self.options.region,
            "MOTO_PORT": self.endpoint_url.rsplit(":", 1)[1],  # moto's Step Functions interpreter calls Lambda here
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": self.options.log_level,
            **self.options.hooks.environment(),
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
        _patch_sdk_retry_delay(self.options.sdk_retry_scale, self._restore)
        fast_dynamodb_answers(self._restore)
        patch_partiql_writes(self._restore)
        _patch_iam(self, self._restore)
        _patch_thread_pools(self._restore)
        for name in ("moto", "werkzeug", "botocore", "urllib3"):
            logging.getLogger(name).setLevel(logging.ERROR)
        logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
        self.options.hooks.reset_clients()

    def _set_environ(self, values: dict[str, str | None]) -> None:
        for name, value in values.items():
            self._saved_environ.setdefault(name, os.environ.get(name))
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def _build(self) -> None:
        template = self.template = load_template(self.options.template)
        parameters = parameter_values(template, self.options.parameters)
        resolver = self._resolver = Resolver(
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
        unknown = {r["Type"] for r in resources.values()} - set(_BUILDERS) - set(_NAMERS) - IGNORED_TYPES
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
        self.runtime = LambdaRuntime(functions, after_invoke=self.options.hooks.end_invocation)
        self.runtime.worker_logs = self.options.function_output
        self.runtime.load_all()
        self._wire_events(functions, parameters)
        self.client("ses").verify_email_identity(EmailAddress=str(parameters["SenderEmail"]))
        self.options.hooks.seed(self)

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
                    open_route = (properties.get("Auth") or {}).get("Authorizer") == "NONE"
                    routes.append(
                        Route(properties["Method"].upper(), properties["Path"], spec.logical_id, not open_route)
                    )
                elif event["Type"] == "Schedule":
                    self._schedules.append((spec.logical_id, _rate_seconds(properties["Schedule"])))
                else:
                    raise ValueError(f"The local stack cannot wire {event['Type']} events")
        self.issuer = LocalIssuer(
            issuer=str(parameters["JwtIssuer"]),
            audiences=[str(audience) for audience in parameters["JwtAudience"]],
            tenant_claim=str(parameters["TenantClaim"]),
            email_claim=str(parameters["EmailClaim"]),
        )
        apis = [r for r in self.template["Resources"].values() if r["Type"] == "AWS::Serverless::HttpApi"]
        cors = self._resolver.resolve(apis[0].get("Properties", {}).get("CorsConfiguration")) if apis else None
        self.api = LocalHttpApi(
            routes,
            self.runtime.invoke,
            self.issuer,
            {("GET", "/_local/emails"): self._emails_route},
            cors=Cors.of(cors),
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


def _name_rule(stack: LocalStack, resolver: Resolver, logical_id: str, resource: dict[str, Any]) -> None:
    properties = resource.get("Properties", {})
    name = resolver.resolve(properties.get("Name")) or f"{stack.options.stack_name}-{logical_id}"
    bus = resolver.resolve(properties.get("EventBusName")) or "default"
    arn = f"arn:aws:events:{stack.options.region}:{ACCOUNT}:rule/" + (name if bus == "default" else f"{bus}/{name}")
    stack.resources[logical_id] = {"kind": "rule", "Name": name, "Arn": arn, "Bus": bus}
    resolver.refs[logical_id] = name if bus == "default" else f"{bus}|{name}"
    resolver.attributes[logical_id] = {"Arn": arn}


def _name_secret(stack: LocalStack, resolver: Resolver, logical_id: str, resource: dict[str, Any]) -> None:
    """Created while naming: its Ref is the ARN, which Secrets Manager only gives when it creates the secret."""
    properties = resolver.resolve(resource.get("Properties", {}))
    name = properties.get("Name") or f"{stack.options.stack_name}-{logical_id}"
    client = stack.client("secretsmanager")
    generate = properties.get("GenerateSecretString", {})
    value = client.get_random_password(
        PasswordLength=int(generate.get("PasswordLength", 32)),
        ExcludePunctuation=bool(generate.get("ExcludePunctuation", False)),
    )["RandomPassword"]
    arn = client.create_secret(Name=name, SecretString=value)["ARN"]
    stack.resources[logical_id] = {"kind": "secret", "Name": name, "Arn": arn}
    resolver.refs[logical_id] = arn
    resolver.attributes[logical_id] = {"Id": arn}


def _name_role(stack: LocalStack, resolver: Resolver, logical_id: str, resource: dict[str, Any]) -> None:
    """Not created: its statements are what ``LocalStack.authorize`` holds each function's calls to."""
    arn = f"arn:aws:iam::{ACCOUNT}:role/{stack.options.stack_name}-{logical_id}"
    stack.resources[logical_id] = {"kind": "role", "Name": logical_id, "Arn": arn}
    resolver.refs[logical_id] = f"{stack.options.stack_name}-{logical_id}"
    resolver.attributes[logical_id] = {"Arn": arn}


def _name_log_group(stack: LocalStack, resolver: Resolver, logical_id: str, resource: dict[str, Any]) -> None:
    """Not created (function output goes where ``LocalStackOptions.function_output`` says); roles name it."""
    name = resolver.resolve(resource.get("Properties", {}).get("LogGroupName")) or logical_id
    arn = f"arn:aws:logs:{stack.options.region}:{ACCOUNT}:log-group:{name}:*"
    stack.resources[logical_id] = {"kind": "log_group", "Name": name, "Arn": arn}
    resolver.refs[logical_id] = name
    resolver.attributes[logical_id] = {"Arn": arn}


_NAMERS = {
    "AWS::IAM::Role": _name_role,
    "AWS::Logs::LogGroup": _name_log_group,
    "AWS::SecretsManager::Secret": _name_secret,
    "AWS::S3::Bucket": _name_bucket,
    "AWS::SQS::Queue": _name_queue,
    "AWS::DynamoDB::Table": _name_table,
    "AWS::Serverless::Function": _name_function,
    "AWS::Serverless::StateMachine": _name_state_machine,
    "AWS::Events::EventBus": _name_event_bus,
    "AWS::Events::Rule": _name_rule,
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
    name = stack.resources[logical_id]["Name"]
    stack.client("dynamodb").create_table(
        TableName=name, BillingMode=properties.get("BillingMode", "PAY_PER_REQUEST"), **table_definition(properties)
    )
    ttl = properties.get("TimeToLiveSpecification")
    if ttl:
        stack.client("dynamodb").update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)


# CloudFormation's names of a CORS rule's keys where S3's API names them otherwise.
_S3_CORS_KEYS = {"MaxAge": "MaxAgeSeconds", "ExposedHeaders": "ExposeHeaders"}


def _build_bucket(stack: LocalStack, resolver: Resolver, logical_id: str, resource: dict[str, Any], _: Any) -> None:
    properties = resolver.resolve(resource.get("Properties", {}))
    s3 = stack.client("s3")
    name = stack.resources[logical_id]["Name"]
    s3.create_bucket(Bucket=name)
    cors = properties.get("CorsConfiguration")
    if cors:
        rules = [
            {_S3_CORS_KEYS.get(key, key): value for key, value in rule.items() if key != "Id"}
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
    if own_environment and stack.options.artifact is None:
        # In process, functions share this process's environment: per-function variables need worker processes.
        raise ValueError(f"{logical_id}: per-function environment variables need the artifact (--artifact)")
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
    spec = FunctionSpec(
        policy=_policy_of(stack, resolver, logical_id, resource),
        logical_id=logical_id,
        name=name,
        arn=stack.resources[logical_id]["Arn"],
        module=f"{module}.{handler_module}",
        handler=handler,
        handler_path=properties["Handler"],
        timeout_s=int(properties.get("Timeout", 3)),
        memory_mb=int(properties.get("MemorySize", 128)),
        environment={},
        events=resolver.resolve(resource.get("Properties", {}).get("Events", {})),
    )
    if stack.options.artifact is not None:
        environment = {**globals_.get("Environment", {}).get("Variables", {}), **own_environment}
        spec.artifact = _artifact_of(stack, logical_id, spec, {k: str(v) for k, v in environment.items()})
    return spec


def _artifact_of(stack: LocalStack, logical_id: str, spec: FunctionSpec, environment: dict[str, str]) -> Artifact:
    """The function's built folder, its layers and the runtime's packages (``sam build`` names each folder by
    logical id), and the environment Lambda gives it: its variables, the region and its own name."""
    build = stack.options.artifact
    assert build is not None
    resource = stack.template["Resources"][logical_id]
    layers = resource.get("Properties", {}).get("Layers") or stack.template["Globals"]["Function"].get("Layers", [])
    import_path = [
        str(build / logical_id),
        *(str(build / layer["Ref"] / "python") for layer in layers),
        str(stack.options.lambda_runtime or build.parent / "lambda-runtime"),
    ]
    missing = [path for path in import_path if not Path(path).is_dir()]
    if missing:
        raise FileNotFoundError(f"{logical_id}: no built artifact at {missing} (make build)")
    lambda_environment = {
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "LAMBDA_TASK_ROOT": import_path[0],
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
    }
    process = {name: value for name, value in stack._process_environment().items() if value is not None}
    return Artifact(import_path=import_path, environment={**environment, **lambda_environment, **process})


def _policy_of(stack: LocalStack, resolver: Resolver, logical_id: str, resource: dict[str, Any]) -> Policy:
    """The statements of the function's own role (the template gives every function one)."""
    role = resource.get("Properties", {}).get("Role")
    if not (isinstance(role, dict) and "Fn::GetAtt" in role):
        raise ValueError(f"{logical_id}: give the function a Role of the template's own (the local IAM checks it)")
    role_id = role["Fn::GetAtt"][0]
    return Policy.of_role(resolver.resolve(stack.template["Resources"][role_id]["Properties"]))


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


_RULE_TARGET_KEYS = ("Id", "Arn", "Input", "InputPath", "InputTransformer", "SqsParameters")


def _build_rule(stack: LocalStack, resolver: Resolver, logical_id: str, resource: dict[str, Any], _: Any) -> None:
    """A rule and its targets on its bus: EventBridge (moto) delivers matching events to them (SQS queues here)."""
    properties = resolver.resolve(resource.get("Properties", {}))
    rule, events = stack.resources[logical_id], stack.client("events")
    events.put_rule(
        Name=rule["Name"],
        EventBusName=rule["Bus"],
        EventPattern=json.dumps(properties["EventPattern"]),
        State=properties.get("State", "ENABLED"),
    )
    targets = [{key: target[key] for key in _RULE_TARGET_KEYS if key in target} for target in properties["Targets"]]
    events.put_targets(Rule=rule["Name"], EventBusName=rule["Bus"], Targets=targets)


_BUILDERS: dict[str, Any] = {
    "AWS::Events::EventBus": _build_event_bus,
    "AWS::SQS::Queue": _build_queue,
    "AWS::Events::Rule": _build_rule,  # after the queues it targets
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


def _patch_sdk_retry_delay(scale: float, restore: list[Any]) -> None:
    if scale == 1.0:
        return
    from botocore.retries.standard import ExponentialBackoff

    original = ExponentialBackoff.delay_amount

    def scaled(self: Any, context: Any) -> float:
        return float(original(self, context)) * scale

    ExponentialBackoff.delay_amount = scaled  # type: ignore[method-assign]
    restore.append(lambda: setattr(ExponentialBackoff, "delay_amount", original))


# DynamoDB's answers that carry items, and where the items are in them.
_ITEM_RESULTS = {"Query": "Items", "Scan": "Items", "BatchGetItem": "Responses", "GetItem": "Item"}


def fast_dynamodb_answers(restore: list[Any]) -> None:
    """moto's DynamoDB answers, made faster without changing a byte of them (tests/unit compares the answers);
    ``restore`` receives what undoes it."""
    _patch_dynamodb_item_serialization(restore)
    _patch_dynamodb_result_copies(restore)


def _patch_dynamodb_result_copies(restore: list[Any]) -> None:
    """moto deep-copies every item a query or scan returns, then serializes the copies at once and drops them: a
    fifth of a large export's time on the emulator. Serialized straight from the stored items, the answer is the
    same (a unit test compares the bytes); nothing between the read and the serialization changes an item."""
    from moto.dynamodb.models import table as table_module
    from moto.dynamodb.models.dynamo_type import Item

    real_copy = getattr(table_module, "copy")  # noqa: B009 - the module's own `import copy`

    class _ResultCopies:
        def __getattr__(self, name: str) -> Any:
            return getattr(real_copy, name)

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            if isinstance(value, Item):
                return value
            if isinstance(value, list) and all(isinstance(item, Item) for item in value):
                return list(value)
            return real_copy.deepcopy(value, memo)

    setattr(table_module, "copy", _ResultCopies())  # noqa: B010
    restore.append(lambda: setattr(table_module, "copy", real_copy))


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


def _patch_iam(stack: LocalStack, restore: list[Any]) -> None:
    """Every call a function makes, and every URL it presigns, goes through ``stack.authorize``."""
    from botocore import client as botocore_client
    from botocore import signers

    arns = Arns(stack.options.region, ACCOUNT)
    client_class: Any = botocore_client.BaseClient
    original_call = client_class._make_api_call
    original_url = signers.generate_presigned_url
    original_post = signers.generate_presigned_post

    def checked_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        function = current_function()
        if function is None:
            return original_call(self, operation_name, api_params)
        service = self.meta.service_model.service_name
        stack.authorize(service, operation_name, arns.requests(service, operation_name, api_params))
        recorder = stack.runtime.recorder if stack.runtime is not None else None
        if recorder is None:
            return original_call(self, operation_name, api_params)
        started, cpu = time.perf_counter(), time.thread_time()
        response = original_call(self, operation_name, api_params)
        wall, cpu = time.perf_counter() - started, time.thread_time() - cpu
        call = RecordedCall(service, operation_name, started, wall, cpu, threading.get_ident(), api_params, response)
        recorder.call(function, call)
        return response

    def checked_url(self: Any, *args: Any, **kwargs: Any) -> Any:
        url = original_url(self, *args, **kwargs)
        stack.authorize("s3", "GetObject", arns.presigned(url=url))
        return url

    def checked_post(self: Any, *args: Any, **kwargs: Any) -> Any:
        post = original_post(self, *args, **kwargs)
        stack.authorize("s3", "PutObject", arns.presigned(post=post))
        return post

    client_class._make_api_call = checked_call
    signers.generate_presigned_url = checked_url
    signers.generate_presigned_post = checked_post

    def undo() -> None:
        client_class._make_api_call = original_call
        signers.generate_presigned_url = original_url
        signers.generate_presigned_post = original_post

    restore.append(undo)


def _patch_thread_pools(restore: list[Any]) -> None:
    """Work a function hands to a thread pool still runs as that function (for its logs and its IAM role)."""
    from concurrent.futures import ThreadPoolExecutor

    original = ThreadPoolExecutor.submit

    def submit(self: Any, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        function = current_function()
        return original(self, run_as(function, fn) if function else fn, *args, **kwargs)

    ThreadPoolExecutor.submit = submit  # type: ignore[method-assign]
    restore.append(lambda: setattr(ThreadPoolExecutor, "submit", original))
