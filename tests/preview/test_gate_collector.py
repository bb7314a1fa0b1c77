"""Issue 17: the gate's process runs with the cyclic collector off and turns it back on without a collection over
everything the run kept (`agentid.mock_engine.no_collections`)."""

from __future__ import annotations

import gc

from agentid.mock_engine import no_collections


def test_turning_the_collector_back_on_scans_nothing_the_run_kept() -> None:
    scanned: list[tuple[int, int]] = []

    def sizes(phase: str, info: dict) -> None:
        if phase == "start":
            scanned.append((info["generation"], len(gc.get_objects(generation=info["generation"]))))

    was_enabled = gc.isenabled()
    gc.enable()
    try:
        gc.callbacks.append(sizes)  # watching from before the collector is back on
        try:
            with no_collections():
                assert not gc.isenabled()
                kept = [[index] for index in range(300_000)]  # what a run keeps until its verdict
            allocated = [[] for _ in range(5 * gc.get_threshold()[0])]  # enough to start young collections
        finally:
            gc.callbacks.remove(sizes)
        assert gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        if not was_enabled:
            gc.disable()
    assert len(kept) == 300_000 and allocated
    # Young collections ran, each over the few objects allocated since, never over the 300,000 kept ones.
    assert scanned and all(size < 100_000 for _, size in scanned), scanned
