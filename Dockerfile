# PIAA production image: gunicorn, WeasyPrint's system libraries, Latin and Devanagari fonts,
# and the PostgreSQL client for `piaa backup` / `piaa restore`. Dependencies come from
# requirements.lock (exact versions, `make lock` regenerates it), the package itself without
# re-resolving them.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/piaa-metrics PIAA_LOG_FORMAT=json
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
      libharfbuzz-subset0 fonts-noto-core fonts-noto-ui-core postgresql-client \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock ./
RUN pip install -r requirements.lock
COPY pyproject.toml README.md ./
COPY piaa ./piaa
COPY migrations ./migrations
COPY item_banks ./item_banks
RUN pip install --no-deps . && useradd --create-home piaa && mkdir -p /app/instance && chown piaa /app/instance
USER piaa

EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s \
  CMD python -c "import urllib.request, sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)" || exit 1
# Migrate, then serve with the service's gunicorn settings (two workers per core unless
# WEB_WORKERS says otherwise, the app preloaded; see piaa/gunicorn_config.py). The metrics
# folder starts empty: figures of workers of an earlier run must not be added in.
CMD ["sh", "-c", "rm -rf \"$PROMETHEUS_MULTIPROC_DIR\" && mkdir -p \"$PROMETHEUS_MULTIPROC_DIR\" && piaa db upgrade && exec gunicorn -c python:piaa.gunicorn_config --bind 0.0.0.0:8000 --access-logfile - 'piaa:create_app()'"]
