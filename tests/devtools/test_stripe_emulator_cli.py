"""``python -m devtools.stripe_emulator`` starts a loopback-only, in-memory server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import stripe
from stripe_emulator_helpers import request

ROOT = Path(__file__).resolve().parents[2]


def test_cli_starts_on_loopback_without_state_files():
    pickle = Path("/tmp/localstripe.pickle")
    before = pickle.stat().st_mtime if pickle.exists() else None
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devtools.stripe_emulator",
            "--port",
            "0",
            "--webhook-url",
            "http://127.0.0.1:9/hook",
            "--webhook-secret",
            "whsec_test_cli",
        ],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 15
        line = ""
        while "listening on" not in line and time.monotonic() < deadline:
            line = proc.stderr.readline()
        match = re.search(r"TEST MODE\) listening on (http://127\.0\.0\.1:\d+)", line)
        assert match, line
        base = match.group(1)
        status, _, _ = request("GET", base + "/_emulator/health")
        assert status == 200
        stripe_client = stripe.StripeClient("sk_test_cli", base_addresses={"api": base})
        assert stripe_client.v1.customers.create(params={"email": "c@example.com"}).id.startswith(
            "cus_"
        )
        after = pickle.stat().st_mtime if pickle.exists() else None
        assert after == before, "localstripe wrote its pickle to /tmp"
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stderr.close()
