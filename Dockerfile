# The production-shaped image: the service under gunicorn. `docker compose up`
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
RUN useradd --system --home /app guichet && mkdir -p /var/lib/guichet && chown guichet /var/lib/guichet
WORKDIR /app
# Sources only (.dockerignore keeps out the venv, node_modules, instance data, tests).
COPY . .
RUN pip install --no-cache-dir -e . && pybabel compile -d kernel/translations
COPY --from=dsfr /build/node_modules/@gouvfr/dsfr/dist /opt/dsfr/dist
USER guichet
EXPOSE 8000
# Migrate, then serve: one process per core, two threads each (measured in
# docs/benchmarks.md, "Single sign-on"); they share nothing but PostgreSQL and Redis.
CMD ["sh", "-c", "guichet db upgrade && exec gunicorn --workers ${WEB_CONCURRENCY:-2} --threads ${GUNICORN_THREADS:-2} --bind 0.0.0.0:8000 'guichet:create_app()'"]
