# One image for web, worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

RUN useradd --create-home --uid 1000 coopsurvey \
    && apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
COPY requirements/base.txt requirements/base.txt
RUN pip install -r requirements/base.txt

COPY . .
# Static files and compiled translations are built into the image; the secret is a throwaway for this step only.
RUN SECRET_KEY=build-only DEBUG=0 python manage.py collectstatic --no-input \
    && SECRET_KEY=build-only DEBUG=0 python manage.py compilemessages \
    && chown -R coopsurvey /app
USER coopsurvey

EXPOSE 8000
CMD ["gunicorn", "coopsurvey.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "--logger-class", "coopsurvey.gunicorn_logging.Logger"]
