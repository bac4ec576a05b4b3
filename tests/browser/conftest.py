"""Browser tests: Debian's Chromium driven by Playwright against a live server on loopback.
The browser itself (`browser`) is in tests/conftest.py: one a test process, for every test."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory):
    """The demo newsroom as `make run` serves it (`broadsheet setup`, `broadsheet serve`),
    built once a test process: its base URL."""
    from tests.serving import free_port, prepared_site, start_server, stop_server

    port = free_port()
    env = prepared_site(tmp_path_factory.mktemp("demo"), port, demo=True)
    server = start_server(env, port)
    yield f"http://127.0.0.1:{port}"
    stop_server(server)


@pytest.fixture
def reader_page(browser):
    """A page in a fresh context with JavaScript on, refusing any request off loopback."""
    contexts = []

    def make(javascript: bool = True):
        context = browser.new_context(java_script_enabled=javascript,
                                      viewport={"width": 390, "height": 844})
        context.route("**/*", _loopback_only)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def _loopback_only(route):
    url = route.request.url
    if url.startswith(("http://127.0.0.1", "http://localhost", "data:")):
        route.continue_()
    else:  # a third-party request would be a bug: fail it loudly
        route.abort()
        raise AssertionError(f"third-party request to {url}")


@pytest.fixture
def verified_reader(transactional_db, django_user_model):
    from allauth.account.models import EmailAddress

    user = django_user_model.objects.create_user(
        username="ada", email="ada@example.org", password="correct-horse-battery-9")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def sign_in(page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()



@pytest.fixture(autouse=True)
def _fresh_content_types():
    """Flushing between live-server tests recreates content types with new ids; Django's
    in-process ContentType cache would still hand out the old ones."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    yield
    ContentType.objects.clear_cache()
