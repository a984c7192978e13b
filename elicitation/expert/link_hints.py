"""Which link each session was last seen using, in this process: a hint, never an authority.

``session.link_read_along`` reads the link check with the session's row when it can guess the link; this is
where the guess comes from. A hint is only ever compared with what the session row itself says, so a wrong,
stale or missing hint costs one more statement, never a wrong answer. It is bounded (the least recently
used hints go first) and per process: a session served by another worker process is read there once
without a hint.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

Link = tuple[int, int]  # (token id, expert id): the session marker's values
MOST_HINTS = 20_000  # about 3 MB of a worker's memory at most


class LinkHints:
    def __init__(self, most: int = MOST_HINTS) -> None:
        self.most = most
        self._hints: OrderedDict[str, Link] = OrderedDict()
        self._lock = threading.Lock()  # the development server serves requests on threads

    def get(self, session_key: str | None) -> Link | None:
        if not session_key:
            return None
        with self._lock:
            link = self._hints.get(session_key)
            if link is not None:
                self._hints.move_to_end(session_key)
            return link

    def remember(self, session_key: str | None, link: Link) -> None:
        if not session_key:
            return
        with self._lock:
            self._hints[session_key] = link
            self._hints.move_to_end(session_key)
            while len(self._hints) > self.most:
                self._hints.popitem(last=False)

    def forget(self, session_key: str | None) -> None:
        if not session_key:
            return
        with self._lock:
            self._hints.pop(session_key, None)

    def __len__(self) -> int:
        return len(self._hints)


link_hints = LinkHints()
