"""Real local receivers for the delivery tests: an aiosmtpd SMTP server and an HTTP server on 127.0.0.1,
each run in its own thread and stopped cleanly; settings that point the channels at them."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr

from aftersales.config import Settings

WEBHOOK_SECRET = "s3cret-key"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Mailbox:
    """An aiosmtpd handler that keeps accepted messages; ``refuse`` DATA replies are 451 first."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.refuse = 0
        self.refusals = 0
        self.reply = "451 4.3.0 Mailbox busy, try again later"
        self._lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        with self._lock:
            if self.refuse > 0:
                self.refuse -= 1
                self.refusals += 1
                return self.reply
            self.received.append(bytes(envelope.original_content or envelope.content))
        return "250 2.0.0 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            raw = list(self.received)
        return [message_from_bytes(item, policy=policy.default) for item in raw]  # type: ignore[misc]


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", controller.port, mailbox)
    finally:
        controller.stop()


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    url: str
    requests: list[Request] = field(default_factory=list)
    # Replies to give, in order; the last one repeats: (status, JSON body).
    replies: list[tuple[int, dict[str, Any]]] = field(default_factory=lambda: [(200, {"errcode": 0, "errmsg": "ok"})])


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with lock:
                receiver.requests.append(Request(self.path, dict(self.headers.items()), body))
                status, document = receiver.replies[0] if len(receiver.replies) == 1 else receiver.replies.pop(0)
            payload = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="test-http", daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def delivery_settings(settings: Settings, smtp_server: SmtpServer, http_receiver: HttpReceiver) -> Settings:
    """Channels pointed at the local receivers; no jitter, so retry times are exact."""
    return settings.model_copy(
        update={
            "smtp_host": smtp_server.host,
            "smtp_port": smtp_server.port,
            "smtp_timeout_seconds": 5.0,
            "smtp_from": "售后服务 <service@example.cn>",
            "webhook_url": f"{http_receiver.url}/hooks/aftersales",
            "webhook_secret": SecretStr(WEBHOOK_SECRET),
            "wecom_robot_url": f"{http_receiver.url}/cgi-bin/webhook/send?key=test-robot",
            "http_timeout_seconds": 5.0,
            "notify_retry_jitter": 0.0,
            "notify_batch_size": 10,
        }
    )
