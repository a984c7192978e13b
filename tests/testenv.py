"""Loaded early by pytest (``-p tests.testenv``), before Django reads its settings.

Tests run with DEBUG off, as production does, so they need a secret key; the
outbox is kept in memory. DATABASE_URL and REDIS_URL are left as the caller set
them: unset means SQLite and in-process tasks, set means the real services.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("EMAIL_URL", "locmem://")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("STATIC_FROM_SOURCE", "1")
