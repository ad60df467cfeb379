"""A stand-in for WeChat's HTTP APIs on 127.0.0.1 (port 0: the system picks a free one), for
tests: the 公众号 token and custom/send, 企业微信 gettoken, kf/sync_msg and kf/send_msg. It
records every call and has switches for WeChat's refusals."""

import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Call:
    method: str
    path: str
    query: dict
    body: dict | None


@dataclass
class Standin:
    oa_app_id: str = "wxb11529c136998cb6"
    oa_secret: str = "oa-secret"
    corp_id: str = "wx5823bf96d3bd56c7"
    kf_secret: str = "kf-secret"
    token_delay: float = 0.0  # seconds each token fetch takes (to make refreshes overlap)
    custom_send_errcode: int = 0  # e.g. 45015: the 公众号's reply window is closed
    kf_send_errcode: int = 0  # e.g. 95026
    fail_sends: int = 0  # the next N sends answer HTTP 503 (a network failure for the client)
    kf_messages: list = field(default_factory=list)  # what kf/sync_msg serves, in order
    kf_page_size: int = 2
    calls: list = field(default_factory=list)
    issued: dict = field(default_factory=dict)  # "oa"/"kf" → the only valid token now
    _serial: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> "Standin":
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet test output
                pass

            def _answer(self, status: int, payload: dict | None) -> None:
                raw = json.dumps(payload or {}, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _handle(self, method: str) -> None:
                parts = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parts.query))
                body = None
                if method == "POST":
                    length = int(self.headers.get("Content-Length") or 0)
                    body = json.loads(self.rfile.read(length) or b"{}")
                status, payload = standin.respond(method, parts.path, query, body)
                self._answer(status, payload)

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def calls_to(self, path: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.path == path]

    def expire_tokens(self) -> None:
        """WeChat forgets every token (another client refreshed, or they timed out)."""
        with self._lock:
            self.issued.clear()

    def _issue(self, kind: str) -> str:
        if self.token_delay:
            time.sleep(self.token_delay)
        with self._lock:
            self._serial += 1
            token = f"{kind}-token-{self._serial}"
            self.issued[kind] = token  # a new token invalidates the old one, as at WeChat
            return token

    def _token_ok(self, kind: str, query: dict) -> bool:
        with self._lock:
            return (
                bool(query.get("access_token")) and self.issued.get(kind) == query["access_token"]
            )

    def _send_failure(self) -> bool:
        with self._lock:
            if self.fail_sends > 0:
                self.fail_sends -= 1
                return True
            return False

    def respond(self, method: str, path: str, query: dict, body: dict | None):
        with self._lock:
            self.calls.append(Call(method, path, query, body))
        if path == "/cgi-bin/token":
            if query.get("appid") != self.oa_app_id or query.get("secret") != self.oa_secret:
                return 200, {"errcode": 40013, "errmsg": "invalid appid"}
            return 200, {"access_token": self._issue("oa"), "expires_in": 7200}
        if path == "/cgi-bin/gettoken":
            if query.get("corpid") != self.corp_id or query.get("corpsecret") != self.kf_secret:
                return 200, {"errcode": 40001, "errmsg": "invalid credential"}
            return 200, {
                "errcode": 0,
                "errmsg": "ok",
                "access_token": self._issue("kf"),
                "expires_in": 7200,
            }
        if path == "/cgi-bin/message/custom/send":
            if not self._token_ok("oa", query):
                return 200, {"errcode": 40001, "errmsg": "invalid credential"}
            if self._send_failure():
                return 503, {}
            if self.custom_send_errcode:
                return 200, {
                    "errcode": self.custom_send_errcode,
                    "errmsg": "response out of time limit",
                }
            return 200, {"errcode": 0, "errmsg": "ok"}
        if path == "/cgi-bin/kf/send_msg":
            if not self._token_ok("kf", query):
                return 200, {"errcode": 42001, "errmsg": "access_token expired"}
            if self._send_failure():
                return 503, {}
            if self.kf_send_errcode:
                return 200, {"errcode": self.kf_send_errcode, "errmsg": "not allowed now"}
            return 200, {"errcode": 0, "errmsg": "ok", "msgid": f"out-{len(self.calls)}"}
        if path == "/cgi-bin/kf/sync_msg":
            if not self._token_ok("kf", query):
                return 200, {"errcode": 42001, "errmsg": "access_token expired"}
            start = int((body or {}).get("cursor") or 0)
            page = self.kf_messages[start : start + self.kf_page_size]
            end = start + len(page)
            return 200, {
                "errcode": 0,
                "errmsg": "ok",
                "next_cursor": str(end),
                "has_more": 1 if end < len(self.kf_messages) else 0,
                "msg_list": page,
            }
        return 404, {"errcode": 404, "errmsg": "no such API in the stand-in"}
