"""Bucketing for the domain: the one implementation, lazyconfig/client/bucketing.py, which the
client (importing nothing of the server) shares with the server and the engine."""
from __future__ import annotations

from ..client.bucketing import BUCKETS, bucket

__all__ = ["BUCKETS", "bucket"]
