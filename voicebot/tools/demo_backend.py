"""A stand-in for Acme Energy's billing system, which the example flow's webhooks call.

The demo, the end-to-end tests and replays start it on loopback and point the flow at it with
`ACME_BILLING_URL`; a real deployment points that variable at its own system instead.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

ENV_VAR = "ACME_BILLING_URL"

# account number -> balance owed
ACCOUNTS = {"23453583": "42.10", "12345678": "612.40", "55501234": "0.00"}


def due_date(today: date) -> str:
    """Bills fall due on the first of next month."""
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return date(year, month, 1).isoformat()


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        time.sleep(getattr(self.server, "delay_secs", 0.0))  # a slow billing system, for tests
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body: Any = json.loads(self.rfile.read(min(length, 10_000)) or b"{}")
        except json.JSONDecodeError:
            self._answer(400, {"error": "body is not JSON"})
            return
        if not isinstance(body, dict):
            self._answer(400, {"error": "body is not an object"})
        elif self.path == "/balance":
            self._balance(body)
        elif self.path == "/payment-date":
            self._payment_date(body)
        else:
            self._answer(404, {"error": "no such endpoint"})

    def _balance(self, body: dict[str, Any]) -> None:
        account = ACCOUNTS.get(str(body.get("account_number")))
        if account is None:
            self._answer(404, {"error": "unknown account"})
        elif str(body.get("pin", "")) == "0000":
            self._answer(403, {"error": "wrong PIN"})
        else:
            self._answer(200, {"balance": account, "due_date": due_date(date.today())})

    def _payment_date(self, body: dict[str, Any]) -> None:
        if str(body.get("account_number")) not in ACCOUNTS:
            self._answer(404, {"error": "unknown account"})
        else:
            self._answer(200, {"payment_date": body.get("new_payment_day")})

    def _answer(self, status: int, data: dict[str, Any]) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # request lines carry account numbers; keep them out of the output


class BillingBackend:
    """`with BillingBackend() as url:` serves the billing API on a free loopback port;
    `delay_secs` makes every answer that late."""

    def __init__(self, delay_secs: float = 0.0) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.delay_secs = delay_secs  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> str:
        self._thread.start()
        return self.url

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
