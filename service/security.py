"""The two gates every request passes before a route sees it: the bearer token (compared in
constant time) and the request-body size limit (counted as the bytes arrive, so a client
that lies about Content-Length, or sends none, is stopped all the same)."""
from __future__ import annotations

import hmac
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.problems import problem_response


class TokenGate:
    """Require `Authorization: Bearer <token>` on every request when a token is set."""

    def __init__(self, app: ASGIApp, token: str | None):
        self.app = app
        self.expected = f"Bearer {token}".encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.expected is None:
            await self.app(scope, receive, send)
            return
        given = b""
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                given = value
        if not hmac.compare_digest(given, self.expected):
            response = problem_response(401, "unauthorized", "Missing or wrong token",
                                        "send the server's token as 'Authorization: Bearer TOKEN'",
                                        headers={"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class BodyLimit:
    """Refuse a request body over `max_bytes` with 413, before the route reads any of it."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    def _refusal(self) -> Any:
        return problem_response(413, "body-too-large", "Request body too large",
                                f"the request body is over the {self.max_bytes:,} bytes allowed")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = self.max_bytes + 1
                if declared > self.max_bytes:
                    await self._refusal()(scope, receive, send)
                    return
        # read the whole body here (it is small by now), so the route never sees a cut one
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refusal()(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
