"""The application shell: schema in step with the models, health, French error pages, headers."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kernel.extensions import db


def test_migrations_match_the_models(app_ctx):
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == []


def test_health_is_the_liveness_probe(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readiness_checks_the_database(client, app):
    response = client.get("/readyz")
    assert response.status_code == 200
    expected = {"database": "ok"}
    if app.extensions["guichet.settings"].redis_url:
        expected["redis"] = "ok"
    assert response.json == expected


def test_unknown_page_answers_in_french(client):
    response = client.get("/nulle-part")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)
    assert '<html lang="fr"' in response.get_data(as_text=True)


def test_pages_carry_security_headers(client):
    response = client.get("/healthz")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path):
    from kernel.config import Settings

    first = Settings.from_env({}, tmp_path)
    second = Settings.from_env({}, tmp_path)
    assert first.secret_key == second.secret_key
    assert len(first.secret_key) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_postgres_urls_use_psycopg3(tmp_path):
    from kernel.config import Settings

    settings = Settings.from_env({"DATABASE_URL": "postgres://u@h/db"}, tmp_path)
    assert settings.database_url == "postgresql+psycopg://u@h/db"
