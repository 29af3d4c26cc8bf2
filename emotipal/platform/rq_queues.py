"""RQ's queue settings (RQ_QUEUES) on one Redis connection pool per process.

django-rq builds a new Redis client from a queue's URL every time a queue is asked for
(django_rq.connection_utils.get_redis_connection: `Redis.from_url`, a pool of its own), so each task enqueued
opened a new TCP connection to Redis and dropped it: the pushes of a burst of 10,000 reminders were 5,000
connections from one worker, each left in TIME_WAIT, and on a Redis across the network (with TLS and a
password) each a handshake. Given the queue's host fields and a pool, django-rq builds the client on that
pool (`Redis(..., connection_pool=pool)` ignores the host fields), and the process reuses its connections.

redis-py's pool checks the process id before handing out a connection and opens new ones after a fork, so
gunicorn's preloaded master and its workers never share a socket.
"""

from __future__ import annotations

from typing import Any

import redis


def rq_queues(url: str, default_timeout: int) -> dict[str, dict[str, Any]]:
    """The "default" queue at `url` (redis://, rediss:// or unix://), its connections from one pool."""
    pool = redis.ConnectionPool.from_url(url)
    where = pool.connection_kwargs
    return {
        "default": {
            # Read by django-rq to tell queues on different servers apart (the worker's list of connections);
            # the connection itself comes from the pool.
            "HOST": where.get("host") or where.get("path", ""),
            "PORT": where.get("port", 0),
            "DB": where.get("db", 0),
            "DEFAULT_TIMEOUT": default_timeout,
            "REDIS_CLIENT_KWARGS": {"connection_pool": pool},
        }
    }
