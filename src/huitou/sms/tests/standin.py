"""A loopback stand-in for Aliyun's and Tencent Cloud's SendSms, on 127.0.0.1 and a free port.

It checks what a real endpoint checks first, by the providers' documented algorithms: the
request signature (Aliyun ACS3-HMAC-SHA256 of the V3 RPC style the SDK uses: action and
version in x-acs-* headers, parameters in the query; Tencent TC3-HMAC-SHA256 with X-TC-*
headers and a JSON body), and answers in their documented shapes. A bad signature is
refused as the provider refuses it. `answer_aliyun` / `answer_tencent` override the next
answers (error codes); `received` holds every accepted request, parsed.
"""

import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit


def aliyun_signature(*, method, path, query, headers, signed, payload_hash, secret) -> str:
    canonical_query = "&".join(
        f"{key}={quote(value, safe='~')}" for key, value in sorted(query.items())
    )
    canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in signed)
    canonical = "\n".join(
        [method, path or "/", canonical_query, canonical_headers, ";".join(signed), payload_hash]
    )
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def tencent_signature(*, headers, signed, body, timestamp, service, secret) -> str:
    canonical_headers = "".join(f"{name}:{headers[name].strip().lower()}\n" for name in signed)
    canonical = "\n".join(
        ["POST", "/", "", canonical_headers, ";".join(signed), hashlib.sha256(body).hexdigest()]
    )
    day = datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d")
    scope = f"{day}/{service}/tc3_request"
    to_sign = "\n".join(
        ["TC3-HMAC-SHA256", timestamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )

    def sign(key: bytes, text: str) -> bytes:
        return hmac.new(key, text.encode(), hashlib.sha256).digest()

    key = sign(sign(sign(f"TC3{secret}".encode(), day), service), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def _authorization(value: str) -> dict:
    """'ALG Credential=a, SignedHeaders=b, Signature=c' → {Credential: a, ...}"""
    _algorithm, _space, rest = value.partition(" ")
    parts = (item.strip().partition("=") for item in rest.split(","))
    return {name: val for name, _eq, val in parts}


class StandIn:
    def __init__(self, *, aliyun=("AKID", "aliyun-secret"), tencent=("SID", "tencent-key")):
        self.aliyun_key, self.aliyun_secret = aliyun
        self.tencent_id, self.tencent_secret = tencent
        self.received: list[dict] = []
        self.answer_aliyun: tuple[int, dict] | None = None
        self.answer_tencent: dict | None = None
        self._serial = 0
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                # Each with the content type its provider sends (Tencent's SDK reads an
                # error only from exactly "application/json").
                content_type = "application/json;charset=utf-8"
                if "x-acs-action" in headers:
                    status, answer = standin._aliyun(self, headers, body)
                elif "x-tc-action" in headers:
                    status, answer = 200, standin._tencent(headers, body)
                    content_type = "application/json"
                else:
                    status, answer = 404, {"error": "unknown API"}
                data = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> "StandIn":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _next_serial(self) -> int:
        self._serial += 1
        return self._serial

    # --- Aliyun dysmsapi 2017-05-25 ---------------------------------------------------------
    def _aliyun(self, handler, headers, body) -> tuple[int, dict]:
        parts = urlsplit(handler.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        auth = _authorization(headers.get("authorization", ""))
        signed = auth.get("SignedHeaders", "").split(";")
        payload_hash = hashlib.sha256(body).hexdigest()
        expected = aliyun_signature(
            method=handler.command,
            path=parts.path,
            query=query,
            headers=headers,
            signed=signed,
            payload_hash=payload_hash,
            secret=self.aliyun_secret,
        )
        request_id = f"ALIYUN-{self._next_serial()}"
        if (
            not headers.get("authorization", "").startswith("ACS3-HMAC-SHA256 ")
            or auth.get("Credential") != self.aliyun_key
            or "host" not in signed
            or headers.get("x-acs-content-sha256") != payload_hash
            or not hmac.compare_digest(auth.get("Signature", ""), expected)
        ):
            return 400, {
                "Code": "SignatureDoesNotMatch",
                "Message": "Specified signature does not match our calculation.",
                "RequestId": request_id,
            }
        self.received.append(
            {
                "provider": "aliyun",
                "action": headers["x-acs-action"],
                "version": headers.get("x-acs-version"),
                "params": query,
            }
        )
        if self.answer_aliyun is not None:
            return self.answer_aliyun
        return 200, {
            "Code": "OK",
            "Message": "OK",
            "BizId": f"{900619746936498440 + self._serial}^0",
            "RequestId": request_id,
        }

    # --- Tencent Cloud sms 2021-01-11 -------------------------------------------------------
    def _tencent(self, headers, body) -> dict:
        auth = _authorization(headers.get("authorization", ""))
        signed = auth.get("SignedHeaders", "").split(";")
        credential = auth.get("Credential", "").split("/")
        request_id = f"TENCENT-{self._next_serial()}"
        valid = (
            headers.get("authorization", "").startswith("TC3-HMAC-SHA256 ")
            and len(credential) == 4
            and credential[0] == self.tencent_id
            and {"content-type", "host"} <= set(signed)
        )
        if valid:
            expected = tencent_signature(
                headers=headers,
                signed=signed,
                body=body,
                timestamp=headers.get("x-tc-timestamp", "0"),
                service=credential[2],
                secret=self.tencent_secret,
            )
            valid = hmac.compare_digest(auth.get("Signature", ""), expected)
        if not valid:
            return {
                "Response": {
                    "Error": {
                        "Code": "AuthFailure.SignatureFailure",
                        "Message": "The provided credentials could not be validated.",
                    },
                    "RequestId": request_id,
                }
            }
        payload = json.loads(body)
        self.received.append(
            {
                "provider": "tencent",
                "action": headers["x-tc-action"],
                "version": headers.get("x-tc-version"),
                "region": headers.get("x-tc-region"),
                "service": credential[2],
                "params": payload,
            }
        )
        if self.answer_tencent is not None:
            return {"Response": {**self.answer_tencent, "RequestId": request_id}}
        return {
            "Response": {
                "SendStatusSet": [
                    {
                        "SerialNo": f"5000:10457106691570536578494{self._serial:05d}",
                        "PhoneNumber": number,
                        "Fee": 1,
                        "SessionContext": "",
                        "Code": "Ok",
                        "Message": "send success",
                        "IsoCode": "CN",
                    }
                    for number in payload.get("PhoneNumberSet", [])
                ],
                "RequestId": request_id,
            }
        }
