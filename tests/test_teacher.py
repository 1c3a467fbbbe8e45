"""Who is a teacher (core.classroom.teacher, without a browser): accounts by e-mail and domain, the client's
address behind our proxy, a network server without a teacher locked unless HWLAB_OPEN_CLASS=1, the password
tries counted per address with a lockout that grows and a log line that never holds what was typed; and through
AppTest, the locked sidebar and that a student sees no traceback (client.showErrorDetails)."""
import logging

from streamlit.testing.v1 import AppTest

from core.classroom import teacher
from conftest import ROOT, needs_shared


def test_teacher_accounts_by_email_and_domain_letter_case_ignored():
    emails, domains = ["Ms.Khan@School.example"], ["@staff.school.example", "Academy.example"]
    ok = lambda e, **kw: teacher.is_teacher_account(e, emails, domains, **kw)  # noqa: E731
    assert ok("ms.khan@school.example") and ok("MS.KHAN@SCHOOL.EXAMPLE")
    assert ok("anyone@staff.school.example") and ok("Someone@ACADEMY.example")
    assert not ok("pupil@school.example")  # the e-mail's domain is not a teacher domain
    assert not ok("x@pupils.academy.example")  # a subdomain is not its parent
    assert not ok("x@evilacademy.example") and not ok("academy.example") and not ok("") and not ok(None)
    assert not ok("ms.khan@school.example", verified=False)  # the provider says it is not verified
    assert ok("ms.khan@school.example", verified=True)
    assert teacher.secrets_lists({"teacher_emails": "A@b.example", "teacher_domains": ["C.example"]}) \
        == (["a@b.example"], ["c.example"])
    assert teacher.secrets_lists({}) == ([], [])


def test_the_client_address_believes_x_forwarded_for_only_from_loopback():
    assert teacher.client_address(None) == "127.0.0.1"  # Streamlit says None for a local connection
    assert teacher.client_address(None, "10.0.0.7") == "10.0.0.7"  # our nginx on this machine
    assert teacher.client_address("127.0.0.1", "6.6.6.6, 10.0.0.7") == "10.0.0.7"  # the entry nginx added
    assert teacher.client_address("10.0.0.9", "127.0.0.1") == "10.0.0.9"  # a student writing the header
    assert teacher.is_loopback("127.0.0.1") and teacher.is_loopback("::1") and teacher.is_loopback("localhost")
    assert not teacher.is_loopback("0.0.0.0") and not teacher.is_loopback("") and not teacher.is_loopback(None)
    assert not teacher.is_loopback("192.168.1.20")


def test_a_network_server_without_a_teacher_is_locked_unless_opened(monkeypatch):
    home = teacher.Server(password=None, sign_in=False, exposed=False)
    room = teacher.Server(password=None, sign_in=False, exposed=True)
    assert teacher.identity(home) == teacher.OPEN  # one person at home: open as before
    assert room.locked_for_all and teacher.identity(room) is None
    monkeypatch.setenv("HWLAB_OPEN_CLASS", "1")
    opened = teacher.Server(None, False, True, teacher.open_class())
    assert opened.open_on_network and teacher.identity(opened) == teacher.OPEN
    monkeypatch.setenv("HWLAB_OPEN_CLASS", "0")
    assert not teacher.open_class()


def test_with_a_teacher_set_only_the_teacher_is_one():
    both = teacher.Server(password="pw", sign_in=True, exposed=True)
    assert teacher.identity(both) is None  # a student
    assert teacher.identity(both, signed_in_teacher="t@school.example") == "t@school.example"
    assert teacher.identity(both, password_unlocked=True) == teacher.PASSWORD
    signin_only = teacher.Server(password=None, sign_in=True, exposed=False)
    assert teacher.identity(signin_only) is None  # sign-in configured counts as a teacher set, even at home
    assert teacher.identity(signin_only, password_unlocked=True) is None  # no password: nothing to unlock


def test_password_tries_per_address_with_a_lockout_that_grows(caplog):
    tries = teacher.PasswordTries(free=3, first_lockout_s=5, max_lockout_s=60, forget_after_s=600)
    caplog.set_level(logging.WARNING, logger="hwlab.teacher")
    assert [tries.check("10.0.0.5", f"guess-{i}", "tulip", now=i).outcome for i in range(2)] == ["wrong"] * 2
    third = tries.check("10.0.0.5", "guess-2", "tulip", now=2)
    assert third.outcome == "wait" and third.wait_s == 5  # the 3rd wrong try locks the address for 5 s
    assert tries.check("10.0.0.5", "tulip", "tulip", now=4).outcome == "wait"  # the right one too, meanwhile
    assert tries.wait_s("10.0.0.5", now=4) == 3 and tries.wait_s("10.0.0.6", now=4) == 0  # another address
    assert tries.check("10.0.0.5", "guess-3", "tulip", now=7.5).wait_s == 10  # the next wrong one: twice as long
    assert tries.check("10.0.0.5", "tulip", "tulip", now=18).outcome == "ok"
    assert tries.wait_s("10.0.0.5", now=18) == 0  # the right password clears the count
    refused = [r.getMessage() for r in caplog.records]
    assert len(refused) == 5 and all("10.0.0.5" in m for m in refused)
    assert not any("guess" in m or "tulip" in m for m in refused)  # never what was typed


def test_the_lockout_has_a_ceiling_and_is_forgotten():
    tries = teacher.PasswordTries(free=1, first_lockout_s=5, max_lockout_s=20, forget_after_s=100)
    t, waits = 0.0, []
    for _ in range(5):  # each wrong try once the last lockout is over
        waits.append(tries.check("a", "x", "pw", now=t).wait_s)
        t += waits[-1] + 0.01
    assert waits == [5, 10, 20, 20, 20]
    assert tries.check("a", "x", "pw", now=t + 200).wait_s == 5  # a quiet while later it starts afresh


@needs_shared
def test_a_network_server_without_a_teacher_locks_the_train_page(tiny_bundle, tmp_path, monkeypatch):
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(tiny_bundle[0]))
    monkeypatch.setenv("HWLAB_DB_URL", f"sqlite:///{tmp_path}/class.db")
    monkeypatch.setenv("HWLAB_JOBS_DIR", str(tmp_path / "jobs"))
    monkeypatch.delenv("HWLAB_TEACHER_PASSWORD", raising=False)
    monkeypatch.delenv("HWLAB_OPEN_CLASS", raising=False)
    from ui import teacher_lock
    monkeypatch.setattr(teacher_lock, "listen_address", lambda: "0.0.0.0")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    assert any("HWLAB_TEACHER_PASSWORD" in w.value for w in at.sidebar.warning)
    at.switch_page("app_pages/train.py").run()
    assert not at.exception and not [b for b in at.button if b.label == "Train"]
    assert any("without a teacher password, so it is locked" in i.value for i in at.info)
    monkeypatch.setenv("HWLAB_OPEN_CLASS", "1")
    at.run()
    assert [b for b in at.button if b.label == "Train"]
    assert any("HWLAB_OPEN_CLASS=1" in w.value for w in at.sidebar.warning)


def test_a_student_sees_no_traceback_and_the_log_keeps_it(monkeypatch, capfd):
    monkeypatch.chdir(ROOT)  # the project's .streamlit/config.toml
    at = AppTest.from_string("raise ValueError('read /srv/hwlab/core/secret_path.py')")
    at.run()
    shown = " ".join(e.proto.message + " ".join(e.proto.stack_trace) for e in at.exception)
    assert at.exception and "secret_path" not in shown and "ValueError" not in shown
    logged = capfd.readouterr()  # the server's console (rich prints it to stdout)
    assert "secret_path.py" in logged.out + logged.err


@needs_shared
def test_sign_in_configured_counts_as_a_teacher_set_and_the_password_still_works(tiny_bundle, tmp_path,
                                                                                 monkeypatch):
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(tiny_bundle[0]))
    monkeypatch.setenv("HWLAB_DB_URL", f"sqlite:///{tmp_path}/class.db")
    monkeypatch.setenv("HWLAB_JOBS_DIR", str(tmp_path / "jobs"))
    monkeypatch.delenv("HWLAB_TEACHER_PASSWORD", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.secrets["teacher_password"] = "tulip-42"
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                          "client_id": "hwlab", "client_secret": "s",
                          "server_metadata_url": "http://localhost:1/.well-known/openid-configuration"}
    at.run()
    assert [b.label for b in at.sidebar.button] == ["Sign in as a teacher"]
    assert at.sidebar.text_input(key="teacher_password_field").label == "Teacher password"
    at.switch_page("app_pages/train.py").run()
    assert not [b for b in at.button if b.label == "Train"]
    assert any("sign in as a teacher or unlock with the teacher password" in i.value for i in at.info)
