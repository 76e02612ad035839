"""The local stack's generic parts (template, S3, SQS, API, Lambda, IAM emulation) import nothing of the product:
what they need of it comes through ProductHooks (customer_bulk_local.product)."""

import subprocess
import sys

GENERIC = ("emulator", "template", "http_api", "iam", "s3_guard", "sqs_poller", "lambda_runtime", "local_issuer")


def test_the_generic_modules_import_nothing_of_the_product() -> None:
    code = (
        "import sys\n"
        + "".join(f"import customer_bulk_local.{module}\n" for module in GENERIC)
        + "print(sorted(m for m in sys.modules if m.split('.')[0] in ('customer_bulk', 'functions')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert loaded.stdout.strip() == "[]"
