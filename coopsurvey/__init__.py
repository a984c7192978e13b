from coopsurvey.celery import app as celery_app

__all__ = ["celery_app"]

# The code version stored with every aggregation result (keep in step with pyproject.toml).
__version__ = "0.1.0"
