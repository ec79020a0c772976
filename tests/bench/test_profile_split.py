"""The benchmark's CPU split: the cycle collector's time is its own bucket, not the time of the
function it happened to interrupt."""

from __future__ import annotations

from tests.bench.profile_split import GC, GLUE, XERUS, CpuProfiler, split, top_functions

_XERUS_FUNC = ("/x/custom_components/raritan_pdu/xerus/rpc.py", 196, "_loads")
_GLUE_FUNC = ("/x/custom_components/raritan_pdu/coordinator.py", 10, "_merge")


def test_collector_time_leaves_the_function_it_interrupted() -> None:
    stats = {
        _XERUS_FUNC: (1, 1, 0.010, 0.010, {}),
        _GLUE_FUNC: (1, 1, 0.003, 0.003, {}),
    }
    seconds = split(stats, {_XERUS_FUNC: 0.004})
    assert round(seconds[XERUS], 6) == 0.006
    assert round(seconds[GC], 6) == 0.004
    assert round(seconds[GLUE], 6) == 0.003
    # never more than the function's own time
    assert round(split(stats, {_GLUE_FUNC: 1.0})[GC], 6) == 0.003
    top = top_functions(stats, polls=1, gc_seconds={_XERUS_FUNC: 0.009})
    assert [row["function"] for row in top] == [
        "custom_components/raritan_pdu/coordinator.py:10(_merge)",
        "custom_components/raritan_pdu/xerus/rpc.py:196(_loads)",
    ]


def _allocate() -> list[dict[str, int]]:
    return [{"n": n} for n in range(50_000)]  # well past gen 0's threshold: collections run


def test_profiler_times_collections_in_the_function_that_allocated() -> None:
    with CpuProfiler() as profiler:
        kept = _allocate()
    assert kept
    assert profiler.gc_collections[0] > 0
    assert any(func[2] == "_allocate" for func in profiler.gc_seconds)
