"""The OpenAPI 3.1 document of /api/v1 and its docs page, generated from the code.

flask-smorest (marshmallow + apispec): it documents plain Flask blueprints registered on our
own app factory (no app class to replace, unlike APIFlask), it is kept by the marshmallow
team, and webargs parses each request against the schema the document shows, so the document
cannot drift from what the views accept. Spectree would do as well, but validates with its
own error format per route; here every error goes through ``marketplace.errors``.

Two of its defaults are replaced: it would answer every HTTP error of the whole app with its
own JSON (the site's error pages and our problem+json are ``errors.py``'s job), and it
documents errors as ``application/json`` (ours are ``application/problem+json``). Its Swagger
UI page has an inline script, which the site's CSP forbids: ours loads the vendored Swagger
UI (``static/vendor/swagger-ui-*``) and a script of our own from /static.
"""

from __future__ import annotations

import http

from flask import render_template, url_for
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from ..input_guard import MAX_ID, IdConverter
from .schemas import ProblemSchema

PROBLEM_JSON = "application/problem+json"
SWAGGER_UI = "vendor/swagger-ui-5.35.0"

SETTINGS = {
    "API_TITLE": "Delegate API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": "/static/" + SWAGGER_UI + "/",
    "API_SPEC_OPTIONS": {
        "info": {
            "description": (
                "Post and manage tasks, read matches and proposals, move contracts through "
                "their states, log and review time, and read and send messages, as yourself. "
                "Send a personal access token (Settings → API tokens) as "
                "`Authorization: Bearer dlg_…`. Errors are RFC 9457 problem documents. Lists "
                "are paged by an opaque `cursor`: pass a response's `next_cursor` back. "
                "Files in messages are sent and opened on the site only."
            )
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "dlg_…"}
            }
        },
        "security": [{"bearerAuth": []}],
    },
}


class DelegateApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register_converter(
            IdConverter, lambda _converter: {"type": "integer", "minimum": 0, "maximum": MAX_ID}
        )

    def _register_error_handlers(self):
        """None: marketplace.errors answers every error, problem+json under /api/."""

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error, as an RFC 9457 problem", "schema": ProblemSchema}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)

    def _openapi_swagger_ui(self):
        return render_template(
            "api/docs.html",
            title=self.spec.title,
            spec_url=url_for(f"{self._make_doc_blueprint_name()}.openapi_json"),
            assets=SWAGGER_UI,
        )
