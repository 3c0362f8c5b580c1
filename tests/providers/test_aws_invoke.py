"""Invoking a deployed AWS bot. moto runs functions only with its own Docker-backed Lambda, so Lambda's
answer comes from botocore's Stubber, which checks the request against the Lambda service model."""

from __future__ import annotations

import base64
import io
import json
import sys

from botocore.response import StreamingBody
from botocore.stub import Stubber
from botship.providers.aws.provider import AwsProvider
from botship.providers.aws.session import AwsSession
from botship.providers.results import InvokeResult

from botship.spec import build_spec


def test_invoke_returns_the_result_and_the_log_tail(aws, tmp_path):
    (tmp_path / "app.py").write_text("def handler(event, context):\n    return 1\n")
    spec = build_spec({"platform": "aws", "bot_name": "sma-bot", "entry": "app:handler",
                       "python": f"{sys.version_info.major}.{sys.version_info.minor}",
                       "aws": {"region": "eu-west-1"}}, tmp_path)
    provider = AwsProvider(spec, AwsSession("eu-west-1"))
    provider.names  # asks moto who we are before Lambda is stubbed
    body = json.dumps({"statusCode": 200, "body": json.dumps({"status": "ok", "result": {"runs": 1}})}).encode()
    tail = ("START RequestId: 1\n{\"message\": \"run finished\"}\nEND RequestId: 1\n"
            "REPORT RequestId: 1\tDuration: 12.40 ms\tBilled Duration: 13 ms\n")
    stubber = Stubber(provider.session.client("lambda"))
    stubber.add_response("invoke", {"StatusCode": 200, "LogResult": base64.b64encode(tail.encode()).decode(),
                                    "Payload": StreamingBody(io.BytesIO(body), len(body))},
                         {"FunctionName": "botship-sma-bot", "Payload": b'{"reason": "test"}', "LogType": "Tail"})
    shown: list[str] = []
    with stubber:
        answer = provider.handle().invoke({"reason": "test"}, on_line=shown.append)
    assert isinstance(answer, InvokeResult)
    assert answer.status_code == 200 and answer.error is None and answer.ok and answer.duration_ms == 12
    assert answer.body["result"] == {"runs": 1} and json.loads(answer.result["body"])["result"] == {"runs": 1}
    assert list(answer.logs) == shown == ["START RequestId: 1", '{"message": "run finished"}', "END RequestId: 1",
                                          "REPORT RequestId: 1\tDuration: 12.40 ms\tBilled Duration: 13 ms"]
