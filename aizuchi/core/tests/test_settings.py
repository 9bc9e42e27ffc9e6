"""Production settings pass Django's deployment checks and refuse to start without secrets."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="aizuchi.example",
        EMAIL_URL="smtp+tls://aizuchi:secret@mail.aizuchi.example:587",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage(
        "check",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_ALLOWED_HOSTS="aizuchi.example",
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_dev_settings_use_sqlite_wal_with_immediate_transactions(tmp_path):
    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.db import connection as c; c.ensure_connection(); "
        "print(c.vendor, c.settings_dict['OPTIONS']['transaction_mode'], "
        "c.cursor().execute('PRAGMA journal_mode').fetchone()[0])",
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        AIZUCHI_SQLITE_PATH=str(tmp_path / "x.sqlite3"),
    )
    assert result.stdout.split() == ["sqlite", "IMMEDIATE", "wal"], result.stderr


def test_redis_url_switches_channel_layer_and_cache():
    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; "
        "print(s.CHANNEL_LAYERS['default']['BACKEND'], s.CACHES['default']['BACKEND'], "
        "s.TASKS['default']['BACKEND'])",
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        REDIS_URL="redis://127.0.0.1:6379/3",
        AIZUCHI_TASKS_BACKEND="database",
    )
    assert result.stdout.split() == [
        "channels_redis.pubsub.RedisPubSubChannelLayer",
        "django.core.cache.backends.redis.RedisCache",
        "django_tasks_db.DatabaseBackend",
    ], result.stderr


@pytest.mark.django_db
def test_models_and_migrations_agree():
    """A model change without its migration fails here, not on someone's database."""
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
