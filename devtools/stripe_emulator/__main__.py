"""CLI entry point.

    python -m devtools.stripe_emulator --port 12111 \\
        --webhook-url http://127.0.0.1:5000/stripe/webhook --webhook-secret whsec_...

Every flag has an environment variable fallback so ``make demo`` can configure
it without arguments.
"""

from __future__ import annotations

import argparse
import logging
import os

from .app import HOST, serve
from .webhooks import WebhookConfig


def main(argv: list[str] | None = None) -> None:
    env = os.environ.get
    p = argparse.ArgumentParser(
        prog="python -m devtools.stripe_emulator",
        description=f"Local Stripe emulator (test mode only, listens on {HOST}).",
    )
    p.add_argument("--port", type=int, default=int(env("STRIPE_EMULATOR_PORT", "12111")))
    p.add_argument(
        "--webhook-url",
        default=env("STRIPE_EMULATOR_WEBHOOK_URL"),
        help="where events are POSTed (env STRIPE_EMULATOR_WEBHOOK_URL)",
    )
    p.add_argument(
        "--webhook-secret",
        default=env("STRIPE_WEBHOOK_SECRET"),
        help="whsec_... signing secret (env STRIPE_WEBHOOK_SECRET)",
    )
    p.add_argument(
        "--connect-webhook-url",
        default=env("STRIPE_EMULATOR_CONNECT_WEBHOOK_URL"),
        help="separate endpoint for Connect events (default: --webhook-url)",
    )
    p.add_argument("--connect-webhook-secret", default=env("STRIPE_CONNECT_WEBHOOK_SECRET"))
    p.add_argument(
        "--public-url",
        default=env("STRIPE_EMULATOR_PUBLIC_URL"),
        help="base URL used in checkout/onboarding links (default: request host)",
    )
    p.add_argument("--no-webhooks", action="store_true", help="record events, deliver none")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    if args.webhook_secret and not args.webhook_secret.startswith("whsec_"):
        p.error("--webhook-secret must start with whsec_")
    if args.webhook_url and not args.webhook_secret:
        p.error("--webhook-url needs --webhook-secret (or STRIPE_WEBHOOK_SECRET)")
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(message)s",
    )
    logging.getLogger("devtools.stripe_emulator.webhooks").setLevel(logging.INFO)
    config = WebhookConfig(
        url=args.webhook_url,
        secret=args.webhook_secret,
        connect_url=args.connect_webhook_url,
        connect_secret=args.connect_webhook_secret,
        deliver=not args.no_webhooks,
    )
    serve(args.port, config, public_url=args.public_url)


if __name__ == "__main__":
    main()
