"""ui/long_lived.py: in the server, a model load leaves its objects out of later full collections."""
import gc
import weakref

from ui import long_lived


def test_outside_the_server_nothing_is_frozen():
    before = gc.get_freeze_count()
    assert not long_lived.in_the_server()  # pytest and AppTest never load Streamlit's bootstrap
    long_lived.settle()
    assert gc.get_freeze_count() == before


def test_in_the_server_what_survives_a_collection_is_frozen(monkeypatch):
    monkeypatch.setattr(long_lived, "in_the_server", lambda: True)
    class Node:
        pass
    kept = [Node() for _ in range(1000)]  # long-lived objects, tracked by the collector
    garbage = Node()
    garbage.itself = garbage  # garbage in a cycle: collected before the freeze, never frozen
    gone = weakref.ref(garbage)
    del garbage
    try:
        long_lived.settle()
        assert gc.get_freeze_count() >= len(kept)
        assert gone() is None
    finally:
        gc.unfreeze()  # the rest of the suite collects as usual
