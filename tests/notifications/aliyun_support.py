"""A local stand-in for Alibaba Cloud SMS's SendSms endpoint, on 127.0.0.1 in a thread.

It checks each request the way the provider documents it, with its own implementation of the signature
written from the documentation's recipe (Java ``URLEncoder.encode`` then ``+``→``%20``, ``*``→``%2A``,
``%7E``→``~``), not with the code under test: the common parameters, the AccessKeyId, the signature, the
timestamp (15 minutes either way of the test's frozen clock), nonce reuse and a TemplateParam of string
values. A request that passes gets the next scripted reply (``OK`` unless the test says otherwise); every
request is recorded with what the fake answered.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aftersales.core.clock import FrozenClock

ACCESS_KEY_ID = "LTAI-test-key-id"
ACCESS_KEY_SECRET = "test-access-key-secret"
SIGN_NAME = "售后服务"

# The worked example of Alibaba Cloud's SMS signature documentation ("HTTP协议及签名"): a GET with these
# parameters and AccessKey secret "testSecret" is signed "zJDF+Lrzhj/ThnlvIToysFRq6t4=".
DOCUMENTED_PARAMETERS = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}
DOCUMENTED_SECRET = "testSecret"
DOCUMENTED_SIGNATURE = "zJDF+Lrzhj/ThnlvIToysFRq6t4="

COMMON = ("AccessKeyId", "Action", "Format", "SignatureMethod", "SignatureNonce", "SignatureVersion", "Timestamp")
SEND_SMS = ("PhoneNumbers", "SignName", "TemplateCode")


def special_url_encode(value: str) -> str:
    """The documentation's recipe: form-encode (as java.net.URLEncoder), then fix ``+``, ``*`` and ``~``."""
    return urllib.parse.quote_plus(value, safe="*").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


def documented_signature(secret: str, method: str, parameters: dict[str, str]) -> str:
    """Signature = Base64(HMAC-SHA1(secret + "&", method + "&%2F&" + specialUrlEncode(sorted query)))."""
    query = "&".join(
        f"{special_url_encode(name)}={special_url_encode(parameters[name])}"
        for name in sorted(parameters)
        if name != "Signature"
    )
    text = f"{method}&{special_url_encode('/')}&{special_url_encode(query)}"
    digest = hmac.new(f"{secret}&".encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@dataclass
class SmsRequest:
    method: str
    path: str
    content_type: str
    parameters: dict[str, str]
    answer: str  # the Code the fake replied with

    def template_param(self) -> Any:
        return json.loads(self.parameters["TemplateParam"])


Reply = tuple[int, dict[str, Any]]


@dataclass
class FakeAliyunSms:
    clock: FrozenClock
    url: str = ""
    secrets: dict[str, str] = field(default_factory=lambda: {ACCESS_KEY_ID: ACCESS_KEY_SECRET})
    # Replies for requests that pass the checks, in order (None: accepted); when one is left it repeats.
    replies: list[Reply | None] = field(default_factory=list)
    requests: list[SmsRequest] = field(default_factory=list)
    nonces: set[str] = field(default_factory=set)
    # When set, requests wait for it before answering (a gateway that hangs).
    hold: threading.Event | None = None
    issued: int = 0

    def accepted(self) -> list[SmsRequest]:
        return [request for request in self.requests if request.answer == "OK"]

    def verdict(self, method: str, parameters: dict[str, str]) -> Reply | None:
        """The refusal the provider would give, or None when the request is well formed and signed."""
        missing = [name for name in (*COMMON, *SEND_SMS, "Signature") if not parameters.get(name)]
        if missing:
            return 400, error(f"Missing{missing[0]}", f"{missing[0]} is mandatory for this action.")
        fixed = {
            "Action": "SendSms",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureVersion": "1.0",
            "Version": "2017-05-25",
        }
        wrong = [name for name, value in fixed.items() if parameters.get(name) != value]
        if wrong or parameters["Format"] not in ("JSON", "XML"):
            return 400, error("InvalidParameter", f"Specified parameter {(wrong or ['Format'])[0]} is not valid.")
        secret = self.secrets.get(parameters["AccessKeyId"])
        if secret is None:
            return 404, error("InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        expected = documented_signature(secret, method, parameters)
        if not hmac.compare_digest(expected, parameters["Signature"]):
            return 400, error("SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
        try:
            stamp = datetime.strptime(parameters["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return 400, error("InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
        if abs(stamp - self.clock.now()) > timedelta(minutes=15):
            return 400, error("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        if parameters["SignatureNonce"] in self.nonces:
            return 400, error("SignatureNonceUsed", "Specified signature nonce was used already.")
        self.nonces.add(parameters["SignatureNonce"])
        try:
            values = json.loads(parameters.get("TemplateParam", "{}"))
        except ValueError:
            values = None
        if not isinstance(values, dict) or not all(isinstance(value, str) for value in values.values()):
            return 200, error("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        return None

    def next_reply(self) -> Reply:
        scripted = self.replies[0] if len(self.replies) == 1 else self.replies.pop(0) if self.replies else None
        if scripted is not None:
            return scripted
        self.issued += 1
        return 200, {"Code": "OK", "Message": "OK", "BizId": f"9000{self.issued:04d}^0", "RequestId": _request_id()}


def _request_id() -> str:
    return "F655A8D5-B967-440B-8683-DAD6FF8DE990"


def error(code: str, message: str) -> dict[str, Any]:
    """A provider error reply's JSON."""
    return {"Code": code, "Message": message, "RequestId": _request_id()}


@contextmanager
def fake_aliyun_sms(clock: FrozenClock) -> Iterator[FakeAliyunSms]:
    """Serve the fake on a free loopback port; yields it with ``url`` set."""
    fake = FakeAliyunSms(clock=clock)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            pairs = urllib.parse.parse_qsl(body, keep_blank_values=True, strict_parsing=True)
            parameters = dict(pairs)
            with lock:
                if len(parameters) != len(pairs):
                    status, document = 400, error("InvalidParameter", "a parameter is repeated")
                else:
                    refusal = fake.verdict("POST", parameters)
                    status, document = refusal if refusal is not None else fake.next_reply()
                fake.requests.append(
                    SmsRequest(
                        "POST", self.path, self.headers.get("Content-Type", ""), parameters, str(document.get("Code"))
                    )
                )
            if fake.hold is not None:
                fake.hold.wait(timeout=30)
            payload = json.dumps(document, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            return

    class Server(ThreadingHTTPServer):
        def handleerror(self, request: object, client_address: object) -> None:
            return  # a client that gave up (the timeout test) closes the socket under the reply

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="fake-aliyun-sms", daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        yield fake
    finally:
        if fake.hold is not None:
            fake.hold.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
