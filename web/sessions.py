"""Sessions: a signed cookie naming a server-side session, so logging out ends it for good.

SKELETON (web-auth helper replaces the internals, keeping this interface): `issue(viewer) -> cookie value`,
`viewer(request) -> Viewer | None`, `end(request)`, `csrf_token(viewer)`, and the `csrf_checked` dependency.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import replace

from fastapi import HTTPException, Request

from web.deps import Viewer

COOKIE = "mutual_session"


class Sessions:
    def __init__(self, secret: bytes) -> None:
        from itsdangerous import BadSignature, URLSafeTimedSerializer

        self._serializer = URLSafeTimedSerializer(secret, salt="session")
        self._bad = BadSignature
        self._secret = secret
        self._live: dict[str, Viewer] = {}

    def issue(self, viewer: Viewer) -> str:
        session = secrets.token_urlsafe(24)
        self._live[session] = replace(viewer, session=session)
        return self._serializer.dumps(session)

    def viewer(self, request: Request) -> Viewer | None:
        return self.viewer_of_cookie(request.cookies.get(COOKIE))

    def viewer_of_cookie(self, value: str | None) -> Viewer | None:
        """The live session a cookie's value names (None when forged, expired or ended)."""
        if not value:
            return None
        try:
            session = self._serializer.loads(value, max_age=8 * 3600)
        except self._bad:
            return None
        return self._live.get(session)

    def end(self, request: Request) -> None:
        viewer = self.viewer(request)
        if viewer is not None:
            self._live.pop(viewer.session, None)

    def csrf_token(self, viewer: Viewer) -> str:
        return hmac.new(self._secret, b"csrf:" + viewer.session.encode(), hashlib.sha256).hexdigest()


async def csrf_checked(request: Request) -> None:
    """Every form post and API write carries the session's CSRF token (form field `csrf` or header X-CSRF-Token)."""
    sessions: Sessions = request.app.state.sessions
    viewer = sessions.viewer(request)
    if viewer is None:
        raise HTTPException(401, "not logged in")
    given = request.headers.get("x-csrf-token")
    if given is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        given = (await request.form()).get("csrf")  # type: ignore[assignment]
    if not isinstance(given, str) or not hmac.compare_digest(given, sessions.csrf_token(viewer)):
        raise HTTPException(403, "csrf: the form's token is missing or not this session's; reload the page")
