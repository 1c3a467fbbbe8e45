"""Teachers sign in with the school's accounts, in Chromium, against a local OpenID Connect provider
(oidc-provider-mock on a loopback port). The secrets name a teacher domain (in other letter case than the
account's) and a teacher password as well: both work. A teacher who signs in gets the Train button and their name
in the sidebar; "Sign out" takes it away; an account of another domain gets a sentence and stays a student."""
import json
import re
import secrets
import time
import urllib.request

import pytest

from e2e_support import ROOT, free_port, settled as _settled, start_app, stop_app

pytestmark = pytest.mark.e2e
oidc_provider_mock = pytest.importorskip("oidc_provider_mock")
TRAIN = re.compile(r"^\W*Train$")


def _put_user(issuer, sub, claims):
    req = urllib.request.Request(f"{issuer}/users/{sub}", data=json.dumps(claims).encode(), method="PUT",
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).read()


def _has_train_button(page, url) -> bool:
    """Opens /train and waits until it says which it is: the Train button (a teacher) or the gate's sentence."""
    page.goto(url + "train")
    _settled(page)
    button = page.get_by_role("button", name=TRAIN)
    button.or_(page.get_by_text("The teacher starts and cancels training")).first.wait_for(timeout=120_000)
    return any(b.is_visible() and b.is_enabled() for b in button.all())


def _sign_in(page, url, sub):
    page.goto(url + "train")
    _settled(page)
    page.get_by_role("button", name=re.compile("Sign in as a teacher")).first.click()
    page.locator('input[name="sub"]').fill(sub, timeout=30_000)
    page.get_by_role("button", name="Authorize").click()
    # Anchored: the provider's own address holds ours too (its redirect_uri), and a page left before the
    # callback has set the cookie stays signed out.
    page.wait_for_url(re.compile("^" + re.escape(url) + r"(\?|$)"), timeout=60_000)
    _settled(page)


@pytest.fixture
def signin_app(tmp_path):
    """The app with [auth] pointing at a local provider, a teacher domain and a teacher password."""
    with oidc_provider_mock.run_server_in_thread() as mock:
        issuer = f"http://localhost:{mock.server_port}"
        _put_user(issuer, "teacher1", {"email": "ms.khan@school.example", "email_verified": True, "name": "Ms Khan"})
        _put_user(issuer, "pupil1", {"email": "pupil@elsewhere.example", "email_verified": True, "name": "A Pupil"})
        port = free_port()
        url = f"http://localhost:{port}/"
        (tmp_path / ".streamlit").mkdir()
        (tmp_path / ".streamlit" / "secrets.toml").write_text(
            'teacher_domains = ["School.Example"]\nteacher_password = "tulip-42"\n\n[auth]\n'
            f'redirect_uri = "{url}oauth2callback"\ncookie_secret = "{secrets.token_hex(16)}"\n'
            f'client_id = "hwlab"\nclient_secret = "{secrets.token_hex(8)}"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n')
        proc, _ = start_app({"HOME": str(tmp_path), "HWLAB_MODELS_DIR": str(ROOT / "models"),
                             "HWLAB_DB_URL": f"sqlite:///{tmp_path}/class.db", "HWLAB_JOBS_DIR": str(tmp_path / "jobs"),
                             "HWLAB_TEACHER_PASSWORD": ""},
                            port=port)
        try:
            yield url
        finally:
            stop_app(proc)


def test_a_teacher_signs_in_and_out_and_another_account_stays_a_student(playwright_browser, signin_app):
    url = signin_app
    teacher = playwright_browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    assert not _has_train_button(teacher, url)
    assert teacher.get_by_label("Teacher password").count()  # the password works alongside sign-in
    _sign_in(teacher, url, "teacher1")
    assert _has_train_button(teacher, url)
    sidebar = teacher.locator('[data-testid="stSidebar"]')
    assert "Ms Khan" in sidebar.inner_text() and not teacher.get_by_label("Teacher password").count()
    teacher.get_by_role("button", name=re.compile("Sign out")).first.click()
    time.sleep(2)
    assert not _has_train_button(teacher, url)

    pupil = playwright_browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    _sign_in(pupil, url, "pupil1")
    assert re.search(r"pupil@elsewhere\.example is not a teacher here", pupil.inner_text("body"))
    assert not _has_train_button(pupil, url)
