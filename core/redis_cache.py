"""Django's Redis cache with one ``redis.Redis`` client per connection pool, made once.

Django's backend makes a new client object for every operation; with redis-py 6 that object copies a
table of some hundred response callbacks and its observability hooks, which cost more CPU than the
command itself on an expert's autosave (its aggregation coalescing is a ``cache.add``). A client over a
connection pool holds no connection of its own and is safe to share across threads; the pool notices a
fork itself. Behaviour is otherwise Django's: same commands, same serializer, same pools.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined] # Django's, not in the stubs
        client = self._clients.get(id(pool))  # pools live as long as this object: their ids are stable
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
