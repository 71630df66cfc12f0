"""The JSON API under /api/v1: the site's services behind personal access tokens.

``spec`` builds the OpenAPI document and its docs page; ``auth`` says who a request acts
for; ``tokens`` keeps the tokens; ``inputs`` runs the site's forms on JSON; ``paging`` is the
cursor of every list. Errors are ``marketplace.errors``' problem+json.
"""

from __future__ import annotations

from flask import Flask

from .spec import SETTINGS, DelegateApi


def openapi_document(app: Flask) -> dict:
    """The document /api/v1/openapi.json serves, built without a request (the fuzz tests)."""
    return app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()


def init_app(app: Flask) -> None:
    from . import contracts, hiring, messages, people, tasks, timesheets

    for name, value in SETTINGS.items():
        app.config.setdefault(name, value)
    api = DelegateApi(app)
    for module in (tasks, people, hiring, contracts, timesheets, messages):
        api.register_blueprint(module.bp)
