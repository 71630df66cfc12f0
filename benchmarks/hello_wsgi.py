"""The baseline for benchmarks/page_speed.py: one Flask route, served by the same gunicorn."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, world!"
