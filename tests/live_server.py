"""A live server on a free port: the real app in a thread, committing for real.

Used by the browser journeys and by tests that need real commits seen from outside (the
thread job backend). Tests using it get their own app instance and every table is emptied
afterwards.
"""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.jobs import shutdown as shutdown_jobs
from tests.db_utils import empty_all_tables
from tests.rate_limit_support import GENEROUS_LIMITS


class LiveServer(str):
    """The server's base URL (use it like a string), with the app behind it."""

    def __new__(cls, url: str, app):
        instance = super().__new__(cls, url)
        instance.app = app
        return instance


@pytest.fixture
def live_server_config() -> dict:
    """Extra settings for the live app; a test module overrides this fixture to add some."""
    return {}


def _whole_bodies(app):
    """Each response read to its end and closed before the dev server writes it. A browser
    that drops a request (it often does, for an icon or a stylesheet) made werkzeug's server
    leave send_file's open file to the garbage collector: a ResourceWarning that failed
    whichever test was running. Production servers close what they are handed; no route here
    streams."""

    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@pytest.fixture
def live_server(database_url, tmp_path, live_server_config):
    # Bind first, so the app can be told its own address (absolute links, Stripe return URLs).
    server = make_server("127.0.0.1", 0, None, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "browser-test-key",
            "RATELIMIT_STORAGE_URI": "memory://",
            **GENEROUS_LIMITS,
            "BASE_URL": base_url,
            # Jobs run in the server after commit, even when CI's REDIS_URL is set.
            "JOBS_BACKEND": "inline",
            **live_server_config,
        }
    )
    app.instance_path = str(tmp_path)
    server.app = _whole_bodies(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(base_url, app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        shutdown_jobs(app)  # the thread backend's jobs, before their rows are emptied
        engine = app.extensions["db"].engine
        empty_all_tables(engine)
        engine.dispose()


class HttpClient:
    """A plain HTTP client for a live server: keeps cookies, sends the CSRF token with forms,
    never follows redirects, and gives up after `timeout` seconds instead of hanging."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        import http.cookiejar
        import urllib.request

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.base_url = base_url
        self.timeout = timeout
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )

    def request(self, method: str, path: str, data: dict | None = None):
        """(status, headers, body text)."""
        import urllib.error
        import urllib.parse
        import urllib.request

        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base_url + path, data=body, method=method)
        try:
            with self.opener.open(req, timeout=self.timeout) as resp:
                return resp.status, resp.headers, resp.read().decode()
        except urllib.error.HTTPError as err:
            with err:
                return err.code, err.headers, err.read().decode()

    def get(self, path: str):
        return self.request("GET", path)

    def post_form(self, path: str, data: dict, *, token_from: str | None = None):
        """POST a form with the CSRF token of the page it lives on (`token_from`, default
        `path`)."""
        from tests.conftest import Client

        _, _, page = self.get(token_from or path)
        match = Client.TOKEN.search(page)
        assert match, f"no CSRF token on {token_from or path}"
        return self.request("POST", path, {**data, "csrf_token": match.group(1) or match.group(2)})

    def log_in(self, email: str, password: str) -> None:
        status, headers, body = self.post_form("/login", {"email": email, "password": password})
        assert status in (302, 303), f"log-in failed ({status}): {body[:500]}"
