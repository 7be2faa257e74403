"""The benchmarks' data generators still fit the schema and its triggers (the timings are not tested)."""

import pytest

from bench.ratings import generate
from inspections.models import Inspection
from ratings.selectors import inspections_ratings


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_ratings_benchmark_generates_data_the_engine_can_rate():
    counts = generate(regions=1, pdus_per_region=2, rounds=2, cases=25, seed=7)
    inspections = list(Inspection.objects.all())
    assert len(inspections) == 4 and counts
    results = inspections_ratings(inspections)
    assert all(result.score is not None for result in results.values())
