"""Production settings pass Django's deployment checks and refuse to start without secrets."""

import os
import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "AIZUCHI_"))
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


# What each variable the operations guide marks "required in production" is set to here.
SAMPLE_VALUES = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "DJANGO_ALLOWED_HOSTS": "aizuchi.example",
    "EMAIL_URL": "smtp+tls://aizuchi:secret@mail.aizuchi.example:587",
}


def _documented_minimum() -> dict[str, str]:
    """The production environment as docs/operations.md states its minimum."""
    guide = (settings.BASE_DIR / "docs" / "operations.md").read_text()
    required = re.findall(r"^\| `([A-Z_]+)` \|.*required in production", guide, re.M)
    assert required, "docs/operations.md marks no variable as required in production"
    missing = set(required) - set(SAMPLE_VALUES)
    assert not missing, f"give the newly required {missing} a sample value here"
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        **{name: SAMPLE_VALUES[name] for name in required},
    }


def test_the_documented_minimal_production_env_passes_check_deploy_at_warning_level():
    minimum = _documented_minimum()
    assert set(minimum) >= {"DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "EMAIL_URL"}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **minimum)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("left_out", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "EMAIL_URL"])
def test_production_refuses_to_start_without_each_required_variable(left_out):
    minimum = _documented_minimum()
    del minimum[left_out]
    result = _manage("check", **minimum)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert left_out in result.stderr


@pytest.mark.parametrize("email_url", ["consolemail://", "memorymail://", "filemail:////tmp/x"])
def test_production_refuses_development_mail(email_url):
    result = _manage("check", **{**_documented_minimum(), "EMAIL_URL": email_url})
    assert result.returncode != 0
    assert "Set EMAIL_URL" in result.stderr


@pytest.mark.parametrize("gateways", ["manual,test", "test"])
def test_production_refuses_to_start_with_the_test_gateway(gateways):
    result = _manage("check", **{**_documented_minimum(), "AIZUCHI_PAYMENT_GATEWAYS": gateways})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "AIZUCHI_PAYMENT_GATEWAYS names the test gateway" in result.stderr


def test_a_sandbox_named_by_its_path_fails_the_checks_in_production():
    result = _manage(
        "check",
        "--deploy",
        **{
            **_documented_minimum(),
            "AIZUCHI_PAYMENT_GATEWAYS": "manual,aizuchi.billing.gateways.sandbox.SandboxGateway",
        },
    )
    assert result.returncode != 0
    assert "billing.E001" in result.stderr


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
