"""Delegate on separate hosts (network namespaces, built by devtools.multihost): one
deployment for the whole module, torn down whatever happens. Needs root and `ip netns`; under
CI=true the suite's conftest turns the skip into a failure."""

from __future__ import annotations

import shutil

import pytest

from devtools import multihost
from tests.multihost.hosts import SETTINGS, Cluster, Sink


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    try:
        multihost.check_available()
    except multihost.Unavailable as exc:
        pytest.skip(f"several hosts cannot be built here: {exc}")
    multihost.remove_leftovers()  # of runs that were killed before their teardown
    network = multihost.Network()
    sink = Sink(network.gateway)
    built = None
    try:
        sink.start()
        deployment = multihost.deploy(network, smtp=(network.gateway, sink.port), settings=SETTINGS)
        built = Cluster(deployment, sink)
        yield built
    finally:
        kept = tmp_path_factory.mktemp("multihost-logs")
        for log in network.dir.glob("*.log"):
            shutil.copy(log, kept)
        sink.stop()
        network.close()
        if built is not None:
            print(built.summary(kept))
