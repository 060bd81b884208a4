"""Long search queries through the production web server (a real gunicorn process with
``config/gunicorn_conf.py``): a URL carrying a query at every cap is read, not refused with 414,
and text too long for any URL goes in the body of ``POST /api/search``."""
from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from tests.config.conftest import GOOD_KEY
from tests.integration.conftest import _database_url
from tests.search.corpus import corpus  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
# Russian: two bytes of UTF-8 a letter, six in a URL. gunicorn's default 4,094-byte request line
# refused such a question at about 690 characters (the spaces take three).
RUSSIAN = "Гостевая сеть перестала работать после обновления прошивки роутера, гости не могут подключиться. "

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, port: int, process: subprocess.Popen, log: Path):
        self.port, self.process, self.log = port, process, log

    def request(self, method: str, target: str, body: bytes | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request(method, target, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def search(self, target: str):
        status, raw = self.request("GET", target)
        return status, (json.loads(raw) if status == 200 else raw)


@pytest.fixture
def server(corpus, search_index_dir, tmp_path):
    """gunicorn with the production config over the committed test corpus and its index."""
    from django.db import connection

    port = free_port()
    env = {**os.environ, "DATABASE_URL": _database_url(connection.settings_dict),
           "SEARCH_INDEX_DIR": str(search_index_dir), "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1",
           "DEBUG": "false", "SECRET_KEY": GOOD_KEY, "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "false",
           "CELERY_BROKER_URL": "", "LOG_LEVEL": "WARNING"}
    log = tmp_path / "gunicorn.log"
    with open(log, "w") as out:
        process = subprocess.Popen([str(GUNICORN), "-c", "python:config.gunicorn_conf", "config.wsgi"],
                                   cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    running = Server(port, process, log)
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if running.request("GET", "/api/search?q=warm+up")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer within 180 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_search_url_with_every_parameter_at_its_cap_is_read_whole(server):
    """The longest URL the API reads in full: a query at the cleaning cap in a script of four
    UTF-8 bytes a character (12 in the URL), the longest filters, a limit and a format."""
    from search.engine.query import DEFAULT_MAX_CHARS
    from search.models import Document
    from search.permissions import MAX_FILTER_CHARS
    from search.selectors import MAX_LIMIT

    widest = "𠮷"  # U+20BB7, a letter of four bytes in UTF-8
    query = widest * DEFAULT_MAX_CHARS
    params = {"q": query, "type": max(Document.Kind.values, key=len), "tag": widest * MAX_FILTER_CHARS,
              "source": widest * MAX_FILTER_CHARS, "limit": MAX_LIMIT, "format": "json"}
    target = "/api/search/?" + urlencode(params, quote_via=quote)
    line = f"GET {target} HTTP/1.1"
    assert 4094 < len(line) <= 8190, len(line)  # over gunicorn's default, within what the config allows
    status, body = server.search(target)
    assert status == 200, body
    assert body["query"] == query and body["results"] == []  # no such tag or source: nothing, but no 414


def test_a_long_question_in_a_non_latin_script_is_answered_not_refused(server):
    question = (RUSSIAN * 9)[:800].strip()
    target = "/api/search?" + urlencode({"q": question}, quote_via=quote)
    assert len(target) > 4094
    status, body = server.search(target)
    assert status == 200, body
    assert len(body["query"]) <= 512 and body["query"].startswith(RUSSIAN.strip()[:60])


def test_a_whole_chat_transcript_is_searched_by_post(server, corpus):
    """An agent pastes a transcript far too long for any URL: the opening states the problem,
    the last line asks again; the search keeps both ends and finds the article."""
    chatter = "Agent: Let me check that for you, one moment please. Customer: Sure, no problem, I will wait. "
    transcript = ("Customer: My visitors need wifi but I do not want them on my own network. "
                  + chatter * 200 + "Customer: So how do I give visitors Wi-Fi access?")
    assert len(transcript.encode()) > 16_000
    status, raw = server.request("POST", "/api/search", body=json.dumps({"q": transcript, "limit": 3}).encode(),
                                 headers={"Content-Type": "application/json"})
    assert status == 200, raw
    body = json.loads(raw)
    assert " … " in body["query"] and body["query"].endswith("give visitors Wi-Fi access?")
    assert body["results"][0]["title"] == corpus.documents["guest"].title
