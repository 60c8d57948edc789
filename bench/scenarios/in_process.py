"""Scenario 1: `engine.get` in process, in nanoseconds per call, against `with RLock:
dict.get` (and plain dict.get, for scale): alone, and with 8 reader threads while a writer
thread sets the key 100 times a second."""
from __future__ import annotations

import itertools
import threading
import time
import timeit

from lazyconfig import ConfigurationEngine, bootstrap
from lazyconfig.settings import Settings

from ..baselines.in_process import KEY, Reader, dict_get, rlock_dict_get
from ..context import Context, Row, alternate, median

NAME = "1 in_process"
READERS = 8
WRITES_PER_SECOND = 100
BATCH = 1000  # calls between two looks at the stop flag


def engine_reader(engine: ConfigurationEngine) -> Reader:
    return Reader("engine.get", "get(key)", {"get": engine.get, "key": KEY},
                  lambda i: engine.set(KEY, 1.0 + i % 1000, user="bench", strict=True))


def ns_per_call(reader: Reader, number: int) -> float:
    """The best of five timeit repeats, in nanoseconds per call."""
    timer = timeit.Timer(reader.statement, globals=reader.namespace)
    return min(timer.repeat(repeat=5, number=number)) / number * 1e9


def contended_ns_per_call(reader: Reader, seconds: float) -> float:
    """Wall time over the calls READERS threads make together while a writer thread writes
    WRITES_PER_SECOND times a second: the cost of a read under contention, GIL included."""
    timer = timeit.Timer(reader.statement, globals=reader.namespace)
    stop = threading.Event()
    counts = [0] * READERS

    def read(slot: int) -> None:
        while not stop.is_set():
            # timeit's compiled loop, without timeit() itself: that toggles the garbage
            # collector, which is process-wide and would race between the threads.
            timer.inner(itertools.repeat(None, BATCH), time.perf_counter)
            counts[slot] += BATCH

    def write() -> None:
        began = time.monotonic()
        for i in itertools.count():
            if stop.wait(max(0.0, began + i / WRITES_PER_SECOND - time.monotonic())):
                return
            reader.write(i)

    threads = [threading.Thread(target=read, args=(slot,)) for slot in range(READERS)]
    threads.append(threading.Thread(target=write))
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return (time.perf_counter() - began) * 1e9 / sum(counts)


def run(ctx: Context) -> list[Row]:
    number, seconds = (200_000, 0.5) if ctx.quick else (1_000_000, 3.0)
    env = ctx.env(ctx.fresh_database_url("in_process"), "in_process")
    engine = bootstrap(Settings.from_env(env), env=env)
    try:
        service, lock = engine_reader(engine), rlock_dict_get()
        alone = alternate(lambda: ns_per_call(service, number),
                          lambda: ns_per_call(lock, number), ctx.runs)
        plain = [ns_per_call(dict_get(), number) for _ in range(ctx.runs)]
        busy = alternate(lambda: contended_ns_per_call(service, seconds),
                         lambda: contended_ns_per_call(lock, seconds), ctx.runs)
        targeted = targeted_reader(engine)
        aimed = alternate(lambda: ns_per_call(targeted, number),
                          lambda: ns_per_call(lock, number), ctx.runs)
    finally:
        engine.close()
    return [
        Row(NAME, "engine.get", "ns/call", median(alone[0]), 1.0, "max", ctx.database,
            lock.name, median(alone[1]), alone[0], alone[1], f"dict.get: {median(plain):.1f} ns"),
        Row(NAME, f"engine.get, {READERS} readers + writer {WRITES_PER_SECOND}/s", "ns/call",
            median(busy[0]), 1.0, "max", ctx.database, lock.name, median(busy[1]), busy[0],
            busy[1], "wall time / calls of all readers; the engine's writer writes the "
                     "database"),
        Row(NAME, "engine.get, targeted key", "ns/call", median(aimed[0]), 1.0, "max",
            ctx.database, lock.name, median(aimed[1]), aimed[0], aimed[1],
            "the key has a targeting rule this engine's context matches"),
    ]


def targeted_reader(engine: ConfigurationEngine) -> Reader:
    """engine.get of a key a targeting rule decides for the engine's context."""
    engine.put_targeting(KEY, [{"when": [{"attribute": "cluster", "op": "equals",
                                          "value": "eu-1"}], "value": 2.0}], user="bench")
    engine.use_context({"cluster": "eu-1", "client_id": "bench-1"})
    assert engine.get(KEY) == 2.0
    return Reader("engine.get (targeted)", "get(key)", {"get": engine.get, "key": KEY},
                  lambda i: None)
