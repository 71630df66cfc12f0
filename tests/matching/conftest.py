import pytest

from matching import MatcherConfig
from tests.matching.matching_strategies import REFERENCE


@pytest.fixture
def config():
    return MatcherConfig(reference_date=REFERENCE)
