# PIAA production image: gunicorn, WeasyPrint's system libraries, Latin and Devanagari fonts.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
      libharfbuzz-subset0 fonts-noto-core fonts-noto-ui-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY piaa ./piaa
COPY migrations ./migrations
COPY item_banks ./item_banks
RUN pip install . && useradd --create-home piaa && mkdir -p /app/instance && chown piaa /app/instance
USER piaa

EXPOSE 8000
# Migrate, then serve with the service's gunicorn settings (two workers per core unless
# WEB_WORKERS says otherwise; see piaa/gunicorn_config.py).
CMD ["sh", "-c", "piaa db upgrade && exec gunicorn -c python:piaa.gunicorn_config --bind 0.0.0.0:8000 --access-logfile - 'piaa:create_app()'"]
