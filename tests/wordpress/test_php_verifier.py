"""The PHP receiver example printed in docs/webhooks.md, run by PHP's CLI against signatures
made by the service's own signing code: the example a CMS developer copies must work."""
from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from moderation.webhooks import signing

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


@pytest.fixture(scope="module")
def php_function() -> str:
    if shutil.which("php") is None:
        pytest.skip("php is not installed (scripts/ensure-wordpress.sh installs it)")
    block = next(code for code in re.findall(r"```php\n(.*?)```", DOCS.read_text(), re.S)
                 if "function verify_webhook" in code)
    # The function alone: the request-handling lines after it read php://input.
    return block[:block.index("$body = file_get_contents")]


def php_verify(function: str, secret: str, body: bytes, header: str) -> bool:
    script = function + "\n$in = json_decode(stream_get_contents(STDIN), true);\n" \
        "echo verify_webhook($in['secret'], base64_decode($in['body']), $in['header']) ? 'yes' : 'no';\n"
    payload = json.dumps({"secret": secret, "body": base64.b64encode(body).decode(), "header": header})
    result = subprocess.run(["php", "-r", script.replace("<?php", "", 1)], input=payload, capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip() == "yes"


def test_documented_php_verifier_accepts_the_service_signature(php_function):
    body = json.dumps({"type": "comment.approved", "comment": {"id": "c" * 32}}).encode()
    secret, previous = "whsec_" + "a" * 43, "whsec_" + "b" * 43
    now = int(time.time())
    header = signing.signature_header([secret], now, body)
    assert php_verify(php_function, secret, body, header)
    # During a rotation's overlap either secret verifies.
    both = signing.signature_header([secret, previous], now, body)
    assert php_verify(php_function, previous, body, both) and php_verify(php_function, secret, body, both)
    # Forged, replayed, tampered or malformed: refused.
    assert not php_verify(php_function, "whsec_wrong", body, header)
    assert not php_verify(php_function, secret, body, signing.signature_header([secret], now - 3600, body))
    assert not php_verify(php_function, secret, body + b" ", header)
    assert not php_verify(php_function, secret, body, "")
    assert not php_verify(php_function, secret, body, "t=abc,v1=00")
