"""LiveConfig: a remote service's local copy of the configuration. It loads every value
once, then follows the change stream (resuming with Last-Event-ID after any disconnect or
server restart), so reading a value is a dictionary lookup, as it is in the engine."""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Mapping

from .config_client import ConfigClient
from .errors import ApiError, Gone
from .events import ChangeStream, client_identity
from .experiment_events import EventBuffer
from .records import Change

log = logging.getLogger(__name__)
_MISSING = object()


TARGETED = ("targeting", "experiment", "rollout")  # what decides a value for a context


class LiveConfig:
    def __init__(self, client: ConfigClient, context: Mapping[str, Any] | None = None,
                 transport: str = "sse") -> None:
        """A copy that follows changes over `transport`: "sse" or "websocket". With
        `context` ({"client_id": ..., "cluster": ...}), values are those the server's
        targeting gives that context (docs/targeting.md)."""
        self.client, self.transport = client, transport
        self.context = dict(context) if context else None
        # Who this copy is in GET /clients: its context's client_id, else made up once.
        named = (self.context or {}).get("client_id")
        self.client_id = str(named) if named is not None else client_identity()["id"]
        self._targeted: set[str] = set()  # keys whose value targeting decided for us
        self._exposures: dict[int, str] = {}  # experiment id -> our unit in it
        self.events = EventBuffer(self.client.send_events)  # sent in the background
        self._rollouts: dict[int, str] = {}  # rollout id -> our unit in its new cohort
        self.rollout_events = EventBuffer(self.client.send_rollout_events)
        self._values: dict[str, Any] = {}
        self._revision = 0
        self._changed = threading.Condition()
        self._callbacks: list[Callable[[Change], object]] = []
        self._stream: ChangeStream | None = None
        self._thread: threading.Thread | None = None
        self.error: ApiError | None = None  # why following stopped, if it did by itself

    # -- reads: memory only --------------------------------------------------------------
    def get(self, key: str, default: Any = _MISSING) -> Any:
        """The value as of the last change received; KeyError for an unknown key unless
        `default` is given. Never makes a request."""
        try:
            return self._values[key]
        except KeyError:
            if default is _MISSING:
                raise
            return default

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def values(self) -> dict[str, Any]:
        return dict(self._values)

    @property
    def revision(self) -> int:
        """The revision this copy has every change up to."""
        return self._revision

    @property
    def connected(self) -> bool:
        return self._stream is not None and self._stream.connected.is_set()

    # -- following -----------------------------------------------------------------------
    def start(self) -> "LiveConfig":
        """Load every value, then follow changes in a background thread."""
        self._stream = self._load()
        self._thread = threading.Thread(target=self._follow, args=(self._stream,),
                                        name="lazyconfig-live", daemon=True)
        self._thread.start()
        return self

    def subscribe(self, callback: Callable[[Change], object]) -> None:
        """Call `callback(change)`, a Change record, on the following thread after each
        change is applied."""
        self._callbacks.append(callback)

    def wait_for(self, revision: int, timeout: float) -> bool:
        """Wait until this copy has reached `revision`; False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self._revision >= revision, timeout)

    def track(self, metric: str, value: float) -> None:
        """Report an observation of `metric` for every experiment this copy's context is
        in; buffered and sent in the background, dropped if the server is away."""
        for experiment_id, unit in dict(self._exposures).items():
            self.events.observation(experiment_id, unit, metric, value)
        for rollout_id, unit in dict(self._rollouts).items():
            self.rollout_events.observation(rollout_id, unit, metric, value)

    def _expose(self, key: str, source: str) -> None:
        """Report our exposure to the experiment that decides `key` for us, once."""
        if source not in ("experiment", "rollout") or self.context is None:
            return
        found = self.client.explain(key, self.context)
        if found.get("rollout") is not None:  # our health reports go to this rollout
            self._rollouts[found["rollout"]] = str(self.context.get(found.get("unit") or ""))
            return
        unit = self.context.get(found.get("unit") or "client_id")
        if found.get("experiment") is not None and unit is not None and \
                self._exposures.get(found["experiment"]) != str(unit):
            self._exposures[found["experiment"]] = str(unit)
            self.events.exposure(found["experiment"], str(unit))

    def close(self) -> None:
        self.events.close()
        self.rollout_events.close()
        if self._stream is not None:
            self._stream.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "LiveConfig":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _load(self) -> ChangeStream:
        """Read every value, and a stream that follows on from them."""
        revision = self.client.status().revision
        # Values read after `revision` may already hold later changes; the stream replays
        # those too, in order, and setting a key to the value it has changes nothing.
        entries = self.client.entries(self.context)
        values = {key: entry.value for key, entry in entries.items()}
        self._targeted = {key for key, entry in entries.items() if entry.source in TARGETED}
        for key, entry in entries.items():
            self._expose(key, entry.source)
        with self._changed:
            self._values, self._revision = values, max(self._revision, revision)
            self._changed.notify_all()
        return self.client.watch(last_event_id=revision, transport=self.transport,
                                 client_id=self.client_id)

    def _follow(self, stream: ChangeStream) -> None:
        try:
            while not stream.closed:
                try:
                    for change in stream:
                        self._apply(change)
                except Gone:  # away longer than the server's change log keeps: load again
                    log.warning("LiveConfig fell behind the change log; loading every value")
                    stream = self._stream = self._load()
        except ApiError as exc:  # the token expired, or lost its role: retrying cannot help
            self.error = exc
            log.error("LiveConfig stopped following changes: %s", exc.message)

    def _value_after(self, change: Change) -> Any:
        """The value `change` leaves for this copy's context: its new value, unless
        targeting decides the key for us; a targeting change is asked of the server (one
        request per such change, on this thread, never per read)."""
        if self.context is None:
            return change.new_value
        if change.source in TARGETED:
            entry = self.client.entry(change.key, self.context)
            (self._targeted.add if entry.source in TARGETED else self._targeted.discard)(
                change.key)
            self._expose(change.key, entry.source)
            return entry.value
        return self._values.get(change.key) if change.key in self._targeted else change.new_value

    def _apply(self, change: Change) -> None:
        if change.revision <= self._revision:
            return  # already had it (read with the initial values)
        value = self._value_after(change)
        with self._changed:
            if change.revision <= self._revision:
                return
            self._values = {**self._values, change.key: value}
            self._revision = change.revision
            self._changed.notify_all()
        for callback in list(self._callbacks):
            try:
                callback(change)
            except Exception:  # a subscriber's bug must not stop the copy from following
                log.exception("LiveConfig subscriber failed on revision %s", change.revision)
