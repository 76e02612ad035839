"""Logger, tracer and metrics, created once. Logs go to stderr so a local CLI's stdout stays machine-readable."""

import sys
import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

# A function that had nothing to count (a duplicate delivery, say) is normal here, not a misconfiguration.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger(stream=sys.stderr)
tracer = Tracer()
metrics = Metrics()
