"""gunicorn's access log without personal link tokens (``--logger-class coopsurvey.gunicorn_logging.Logger``)."""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

from core.link_redaction import redact


class Logger(GunicornLogger):
    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}
