# Khabar API image: slim Python, non-root, SQLite and media under /data by default.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    KHABAR_DATABASE_URL=sqlite:////data/khabar.db \
    KHABAR_MEDIA_DIR=/data/media

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN pip install --no-compile -e . \
    && useradd --system --uid 10001 --home-dir /app khabar \
    && mkdir -p /data \
    && chown khabar /data

USER khabar
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["sh", "-c", "khabar db upgrade && exec khabar serve --host 0.0.0.0 --port 8000"]
