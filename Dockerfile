# The production-shaped image: the service under `guichet serve` (gunicorn). `docker compose up`
# runs it with PostgreSQL, Redis, the message worker and a mail catcher.

# The State design system, from the npm registry at build time (never committed).
FROM node:20-slim AS dsfr
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    INSTANCE_PATH=/var/lib/guichet \
    DSFR_DIST=/opt/dsfr/dist
# DejaVu Sans, embedded in the console's letters and lists (admin/pdf.py).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --home /app guichet && mkdir -p /var/lib/guichet && chown guichet /var/lib/guichet
WORKDIR /app
# Sources only (.dockerignore keeps out the venv, node_modules, instance data, tests).
COPY . .
RUN pip install --no-cache-dir -e . && pybabel compile -d kernel/translations
COPY --from=dsfr /build/node_modules/@gouvfr/dsfr/dist /opt/dsfr/dist
RUN python -m kernel.assets /opt/dsfr/dist
USER guichet
EXPOSE 8000
# `guichet serve` (docs/operations.md, «Serving»): gunicorn's gthread workers, one per
# core unless WEB_WORKERS says otherwise, WEB_THREADS threads each. The schema is
# migrated once per deployment, before the nodes start: `guichet db upgrade` (the
# `migrate` service of docker-compose.yml), never by each node at once.
CMD ["guichet", "serve", "--bind", "0.0.0.0:8000"]
