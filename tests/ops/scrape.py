"""Reading /metrics as Prometheus would: samples by name and labels."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

TOKEN = "metrics-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(scraped: dict, name: str, **labels: str) -> float:
    """The sample with exactly these labels, or the sum over every sample that has them."""
    wanted = set(labels.items())
    return sum(v for (n, got), v in scraped.items() if n == name and wanted <= got)


def scrape(client) -> dict:
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200, response.get_data(as_text=True)
    return samples(response.get_data(as_text=True))
