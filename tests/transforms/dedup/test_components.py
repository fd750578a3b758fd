"""Connected components in Beam on built graphs: chains, stars, long paths, isolated nodes; the
large-star/small-star rounds and the local runner's union-find give the same components."""
import random

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing.util import assert_that, equal_to

from tests.conftest import beam_test_pipeline
from transforms.dedup.components import ConnectedComponents


def _expected(edges):
    """(node, smallest id of its component) for non-root nodes, by a plain union-find."""
    parent = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x
    for u, v in edges:
        ru, rv = find(u), find(v)
        if ru != rv:
            parent[max(ru, rv)] = min(ru, rv)
    return sorted((n, find(n)) for n in parent if find(n) != n)


def _run(edges, max_rounds, method="star"):
    p = beam_test_pipeline()
    out = p | beam.Create(edges) | ConnectedComponents(max_rounds, namespace="cc", method=method)
    assert_that(out, equal_to(_expected(edges)))
    result = p.run()
    result.wait_until_finish()
    rounds = result.metrics().query(MetricsFilter().with_name("component_rounds"))["counters"]
    return sum(c.committed for c in rounds)


def test_chain_star_isolated_and_duplicate_edges():
    rng = random.Random(7)
    chain = [f"c{i:03d}" for i in range(40)]
    rng.shuffle(chain)  # ids in random order along the path, the hard case for min-label passing
    edges = list(zip(chain[:-1], chain[1:]))
    edges += [("s00", f"s{i:02d}") for i in range(1, 30)]  # a star on its minimum
    edges += [(f"t{i:02d}", "t99") for i in range(10)]  # a star on its maximum
    edges += [("p1", "p2"), ("p2", "p1"), ("p1", "p2"), ("q", "q")]  # duplicates, a self-loop
    rounds = _run(edges, max_rounds=8)
    assert 2 <= rounds <= 8


def test_long_path_needs_many_rounds_and_converges():
    path = [f"n{i:04d}" for i in range(600)]
    random.Random(3).shuffle(path)
    rounds = _run(list(zip(path[:-1], path[1:])), max_rounds=12)
    assert rounds >= 4  # a shuffled 600-node path is far from a star


def test_settled_input_takes_no_round():
    assert _run([("b", "a"), ("c", "a")], max_rounds=2) == 0


def test_too_few_rounds_fail_clearly():
    path = [f"n{i:03d}" for i in range(200)]
    random.Random(5).shuffle(path)
    p = beam_test_pipeline()
    _ = p | beam.Create(list(zip(path[:-1], path[1:]))) | ConnectedComponents(1, method="star")
    with pytest.raises(Exception, match="not converged after 1 rounds"):
        p.run().wait_until_finish()


def _graph():
    rng = random.Random(11)
    path = [f"n{i:04d}" for i in range(600)]
    rng.shuffle(path)
    edges = list(zip(path[:-1], path[1:]))
    edges += [("s00", f"s{i:02d}") for i in range(1, 30)] + [(f"t{i:02d}", "t99") for i in range(10)]
    edges += [("p1", "p2"), ("p2", "p1"), ("q", "q")]
    rng.shuffle(edges)
    return edges


def test_union_find_gives_the_rounds_components():
    # _run asserts the components; union-find counts no rounds
    assert _run(_graph(), max_rounds=12, method="union_find") == 0


def test_auto_uses_union_find_on_the_local_runner():
    # one round is far too few for the shuffled 600-node path: only union-find can finish
    assert _run(_graph(), max_rounds=1, method="auto") == 0
    p = beam_test_pipeline()
    _ = p | beam.Create([("a", "b")]) | ConnectedComponents(method="auto")
    groupings = [t for t in p.to_runner_api().components.transforms.values()
                 if t.spec.urn == "beam:transform:group_by_key:v1"]
    assert len(groupings) == 1


def test_unknown_method_refused():
    with pytest.raises(ValueError, match="method must be one of"):
        ConnectedComponents(method="rounds")
