"""``manage.py check --deploy`` with production settings reports nothing, warnings included
(drf-spectacular once warned about enum names colliding across "status" and "visibility")."""
from __future__ import annotations

import os
import subprocess
import sys

from tests.config.conftest import GOOD_KEY, REPO


def test_the_deploy_check_passes_without_a_warning(tmp_path):
    # The browser tests' session sets DJANGO_ALLOW_ASYNC_UNSAFE in this process; no deployment does.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {**inherited, "DEBUG": "false", "SECRET_KEY": GOOD_KEY, "ALLOWED_HOSTS": "help.example.com",
           "GLEANER_DATA_DIR": str(tmp_path), "LOG_LEVEL": "WARNING", "EMAIL_HOST": "",
           "EMAIL_URL": "smtp://gleaner:pw@smtp.example.com:587?tls=true", "SITE_URL": "https://help.example.com"}
    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "System check identified no issues" in done.stdout


def test_the_deploy_check_warns_when_mail_would_not_leave_the_machine(tmp_path):
    inherited = {k: v for k, v in os.environ.items()
                 if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "EMAIL_URL", "EMAIL_HOST", "SITE_URL")}
    env = {**inherited, "DEBUG": "false", "SECRET_KEY": GOOD_KEY, "ALLOWED_HOSTS": "help.example.com",
           "GLEANER_DATA_DIR": str(tmp_path), "LOG_LEVEL": "WARNING"}
    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "(mail.W001) Outgoing mail is printed on the console" in done.stderr
    assert "(mail.W002) SITE_URL=http://localhost:8000 is not this site's public https address" in done.stderr


def test_the_schema_names_each_status_and_visibility(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    enums = {name: component["enum"] for name, component in schema["components"]["schemas"].items()
             if "enum" in component}
    assert enums["ThreadStatusEnum"] == ["published", "pending"]
    assert enums["ArticleStatusEnum"] == ["draft", "in_review", "approved", "published", "archived"]
    assert enums["ContactStatusEnum"] == ["open", "pending", "resolved", "closed"]
    assert enums["ArticleVisibilityEnum"] == ["public", "internal"]
    assert not [name for name in enums if name.startswith(("Status", "Visibility"))], "an enum still has a hashed name"
