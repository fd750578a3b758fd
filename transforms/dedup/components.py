"""Connected components of a duplicate graph, distributed in Beam (large-star / small-star).

Kiveris et al., "Connected Components in MapReduce and Beyond" (SoCC 2014): alternating
*large-star* (each node links its larger neighbours to the smallest id of its neighbourhood) and
*small-star* (each node links itself and its smaller neighbours to the smallest of them) keeps the
components and converges, in O(log^2 n) rounds, to one star per component centred on its smallest
id. No step ever holds more than one node's neighbourhood, so nothing is collected on one worker.

Beam pipelines are static graphs, so ``max_rounds`` rounds are laid out. Each round first checks
convergence (every node is a star centre with only larger neighbours, or a leaf with exactly one,
smaller, neighbour); once the count of unsettled nodes is zero, the edges go straight to the output
and the remaining rounds see empty input. The rounds that did work are counted
(``Metrics.counter(namespace, "component_rounds")``); a graph still unsettled after ``max_rounds``
fails the pipeline with a clear error instead of returning split components.

On Beam's local runners every GroupByKey's groups are held in the one runner process anyway, so
there (``method="auto"``, the default) the edges are grouped under one key and joined by a plain
union-find in one call instead: the same ``(node, root)`` pairs, and one grouping stage instead of
the rounds' 60-odd (on a small input the rounds' empty stages were a third of a run's fixed cost,
paid again by each worker process). ``method="star"`` keeps the rounds on any runner.
"""
from __future__ import annotations

from typing import Any, Iterator, Tuple

import apache_beam as beam
from apache_beam.metrics import Metrics

_UNSETTLED = "unsettled"
# Type hint of the main outputs (Beam infers a union with TaggedOutput otherwise, which a
# following GroupByKey rejects).
_EDGE = Tuple[Any, Any]
METHODS = ("auto", "star", "union_find")
# Runners that execute the whole pipeline on this machine (their GroupByKey holds every group in
# one process).
LOCAL_RUNNERS = frozenset({"FnApiRunner", "DirectRunner", "SwitchingDirectRunner", "BundleBasedDirectRunner",
                           "PrismRunner"})


class ComponentsNotConverged(RuntimeError):
    """The graph needs more rounds than ``max_rounds``."""


def _both_directions(edge):
    u, v = edge
    yield u, v
    yield v, u


class LargeStarFn(beam.DoFn):
    """Input ``(node, neighbours)``. Emits ``(v, m)`` for each neighbour ``v > node``, ``m`` the
    smallest id of the closed neighbourhood, and 1 to the ``unsettled`` output when the node is
    neither a settled star centre nor a settled leaf."""

    def process(self, element):
        node, neighbours = element
        nbrs = set(neighbours)
        smallest = min(min(nbrs), node)
        if not (smallest == node or (len(nbrs) == 1 and smallest < node)):
            yield beam.pvalue.TaggedOutput(_UNSETTLED, 1)
        for v in nbrs:
            if v > node:
                yield v, smallest


def small_star(element):
    """Input ``(node, smaller neighbours)``: links the node and those neighbours to the smallest."""
    node, neighbours = element
    nbrs = set(neighbours)
    smallest = min(nbrs)
    for v in nbrs | {node}:
        if v != smallest:
            yield v, smallest


def union_find(element) -> Iterator[tuple[Any, Any]]:
    """``(key, edges)`` -> ``(node, root)`` for every node of the edges that is not its
    component's smallest id, ``root`` being that id (a merge always keeps the smaller root)."""
    _, edges = element
    parent: dict = {}

    def find(x):
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    for u, v in edges:
        parent.setdefault(u, u)
        parent.setdefault(v, v)
        ru, rv = find(u), find(v)
        if ru != rv:
            parent[max(ru, rv)] = min(ru, rv)
    for node in parent:
        root = find(node)
        if root != node:
            yield node, root


def runs_locally(pipeline) -> bool:
    runner = getattr(pipeline, "runner", None)
    return type(runner).__name__ in LOCAL_RUNNERS


class GateFn(beam.DoFn):
    """Routes a round's edges to ``done`` once the round found no unsettled node."""

    def process(self, edge, unsettled):
        if unsettled:
            yield edge
        else:
            yield beam.pvalue.TaggedOutput("done", edge)


class CountRoundFn(beam.DoFn):
    """Counts a round that still had work to do."""

    def __init__(self, namespace: str):
        self.namespace = namespace

    def setup(self):
        self.rounds = Metrics.counter(self.namespace, "component_rounds")

    def process(self, unsettled):
        if unsettled:
            self.rounds.inc()
        yield unsettled


class FailUnsettledFn(beam.DoFn):
    def __init__(self, max_rounds: int):
        self.max_rounds = max_rounds

    def process(self, unsettled):
        if unsettled:
            raise ComponentsNotConverged(
                f"connected components not converged after {self.max_rounds} rounds ({unsettled} nodes "
                f"unsettled); raise max_rounds")
        return []


class _LargeStarRound(beam.PTransform):
    """One large-star step: ``{"edges": (v, m) edges, "unsettled": count}`` (no element when no
    node is unsettled: ``without_defaults`` spares the local runner a stage per round); rounds that
    found unsettled nodes are counted in ``namespace`` (none for the final check)."""

    def __init__(self, namespace: str | None):
        super().__init__()
        self.namespace = namespace

    def expand(self, edges):
        outs = (edges
                | "BothDirections" >> beam.FlatMap(_both_directions)
                | "Neighbourhoods" >> beam.GroupByKey()
                | "LargeStar" >> beam.ParDo(LargeStarFn()).with_output_types(_EDGE).with_outputs(_UNSETTLED, main="edges"))
        unsettled = (outs[_UNSETTLED]
                     | "CountUnsettled" >> beam.CombineGlobally(sum).without_defaults())
        if self.namespace:
            unsettled = unsettled | "CountRound" >> beam.ParDo(CountRoundFn(self.namespace))
        return {"edges": outs.edges, "unsettled": unsettled}


class ConnectedComponents(beam.PTransform):
    """Undirected edges ``(u, v)`` of comparable ids -> ``(node, root)`` for every node of the graph
    except the roots, ``root`` being the smallest id of the node's component. Nodes in no edge are
    components of their own and do not appear."""

    def __init__(self, max_rounds: int = 20, namespace: str = "components", method: str = "auto"):
        super().__init__()
        if max_rounds < 1:
            raise ValueError(f"max_rounds must be >= 1, got {max_rounds}")
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
        self.max_rounds = max_rounds
        self.namespace = namespace
        self.method = method

    def expand(self, edges):
        edges = edges | "DropSelfLoops" >> beam.Filter(lambda e: e[0] != e[1])
        if self.method == "union_find" or (self.method == "auto" and runs_locally(edges.pipeline)):
            return (edges
                    | "OneKey" >> beam.Map(lambda e: (0, e))
                    | "AllEdges" >> beam.GroupByKey()
                    | "UnionFind" >> beam.FlatMap(union_find).with_output_types(_EDGE))
        active = edges | "Orient" >> beam.Map(lambda e: (max(e), min(e)))
        done = []
        for r in range(1, self.max_rounds + 1):
            large = active | f"Round{r}Large" >> _LargeStarRound(self.namespace)
            gated = large["edges"] | f"Round{r}Gate" >> beam.ParDo(
                GateFn(), beam.pvalue.AsSingleton(large["unsettled"], default_value=0)).with_output_types(_EDGE).with_outputs("done", main="active")
            done.append(gated.done)
            active = (gated.active
                      | f"Round{r}Smaller" >> beam.GroupByKey()
                      | f"Round{r}SmallStar" >> beam.FlatMap(small_star))
        final = active | "FinalCheck" >> _LargeStarRound(None)
        _ = final["unsettled"] | "FailIfUnsettled" >> beam.ParDo(FailUnsettledFn(self.max_rounds))
        # Settled edges are (leaf, root), each once: a settled leaf has exactly one neighbour.
        return (done + [final["edges"]]) | "AllRounds" >> beam.Flatten()
