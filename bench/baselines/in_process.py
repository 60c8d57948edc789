"""In-process baselines: the cheapest reads Python has, a plain dict.get and the same under
an RLock. Each is a statement for timeit to run inline (a wrapper call would cost more than
the read), with the write a contending thread makes."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable

KEY = "lazy_loading_unloading_check_interval"


@dataclass
class Reader:
    name: str
    statement: str
    namespace: dict[str, Any]
    write: Callable[[int], None]  # the i-th write of the contending writer


def dict_get() -> Reader:
    values = {KEY: 60.0}
    return Reader("dict.get", "values.get(key)", {"values": values, "key": KEY},
                  lambda i: values.__setitem__(KEY, float(i)))


def rlock_dict_get() -> Reader:
    values, lock = {KEY: 60.0}, threading.RLock()

    def write(i: int) -> None:
        with lock:
            values[KEY] = float(i)
    return Reader("RLock + dict.get", "with lock:\n    values.get(key)",
                  {"values": values, "key": KEY, "lock": lock}, write)
