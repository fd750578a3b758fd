"""WorkerResource: one load per process shared by the unpickled step copies (DoFn instances)."""
from __future__ import annotations

import pickle

from pipelines.config import load_defaults
from transforms.langid import LangId
from transforms.url_filter import UrlFilter
from transforms.worker_resource import WorkerResource


def _copies(obj, n=2):
    return [pickle.loads(pickle.dumps(obj)) for _ in range(n)]


def test_copies_load_once_and_the_value_never_pickles():
    loads = []

    def load():
        loads.append(1)
        return {"table": list(range(10))}  # a plain dict: Shared alone could not hold it

    a, b = _copies(WorkerResource())
    assert a.get(load) is b.get(load) and len(loads) == 1
    assert pickle.loads(pickle.dumps(a))._held is None
    c = _copies(WorkerResource())[0]  # another resource: its own value
    assert c.get(load) is not a.get(load) and len(loads) == 2


def test_a_changed_tag_loads_afresh():
    a, b = _copies(WorkerResource())
    assert a.get(lambda: {"v": 1}, tag="one") == {"v": 1}
    assert b.get(lambda: {"v": 2}, tag="two") == {"v": 2}


def test_url_filter_and_langid_copies_share_their_lists_and_model(shared_data):
    cfg = {k: v for k, v in load_defaults()["url_filter"].items() if k != "enabled"}
    cfg["ut1_dir"] = str(shared_data / "lists/ut1")
    a, b = _copies(UrlFilter(**cfg))
    a.setup()
    b.setup()
    assert a._domains is b._domains and len(a._domains) > 1000
    assert pickle.loads(pickle.dumps(a))._domains == {}  # the lists load on the worker
    x, y = _copies(LangId({"en": 0.5}))
    x.setup()
    y.setup()
    assert x._lid is y._lid
    assert pickle.loads(pickle.dumps(x))._lid is None
