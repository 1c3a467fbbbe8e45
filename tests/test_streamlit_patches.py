"""The Streamlit internals ui/streamlit_patches changes are still where, and what, those modules say. A
Streamlit upgrade that moves them fails here, naming the patch, rather than silently bringing back
Keras's per-run clear_session or the pages-folder deep link that skips app.py."""
import inspect
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent


def test_keras_session_patch_target_is_still_streamlits_per_run_clean_up():
    from streamlit.runtime.scriptrunner import script_runner

    from ui.streamlit_patches import keras_session

    src = inspect.getsource(script_runner)
    body = src[src.index("def _clean_problem_modules"):]
    body = body[:body.index("\ndef ", 1)]
    assert "clear_session()" in body, f"{keras_session.TARGET} no longer clears Keras: drop {keras_session.__file__}"
    # The run loop looks the function up by its module-global name, so replacing it takes effect.
    assert "_log_if_error(_clean_problem_modules)" in src, f"Streamlit calls its clean-up another way now: " \
                                                           f"{keras_session.__file__} no longer takes effect"
    assert keras_session.apply()
    assert script_runner._clean_problem_modules is keras_session.close_matplotlib_figures


def test_keras_session_patch_keeps_closing_matplotlib_figures(monkeypatch):
    """matplotlib is not a dependency: a stand-in pyplot records what the clean-up closes."""
    import types

    from ui.streamlit_patches import keras_session

    closed = []
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", types.SimpleNamespace(close=closed.append))
    keras_session.close_matplotlib_figures()
    assert closed == ["all"]


def _run(coroutine_function):
    """asyncio.run in a thread of its own: in the whole suite, Playwright's sync API keeps a loop running in
    the main thread."""
    import asyncio
    import threading

    out = []

    def run():
        try:
            out.append(asyncio.run(coroutine_function()))
        except BaseException as exc:  # noqa: BLE001 - raised again in the test's thread, with its message
            out.append(exc)
    worker = threading.Thread(target=run)
    worker.start()
    worker.join(30)
    assert out, "the coroutine did not finish"
    if isinstance(out[0], BaseException):
        raise out[0]
    return out[0]


def _body(module_source: str, signature: str) -> str:
    body = module_source[module_source.index(signature):]
    return body[:body.index("\n    def ", 1)]


def test_event_loop_patch_targets_are_where_the_module_says():
    from streamlit.runtime import runtime
    from streamlit.runtime.scriptrunner import script_runner

    from ui.streamlit_patches import event_loop

    runtime_src, runner_src = inspect.getsource(runtime), inspect.getsource(script_runner)
    assert "await asyncio.sleep(0)" in _body(runtime_src, "async def _loop_coroutine"), \
        f"Runtime._loop_coroutine no longer yields after each message: revisit {event_loop.__file__}"
    assert "call_soon_threadsafe" in _body(runtime_src, "def _enqueued_some_message"), \
        f"Runtime._enqueued_some_message wakes the loop another way: revisit {event_loop.__file__}"
    assert "self._script_thread.start()" in _body(runner_src, "def start(self)"), \
        f"ScriptRunner.start changed: revisit {event_loop.__file__}"
    from streamlit.runtime import websocket_session_manager

    assert "self._message_enqueued_callback = message_enqueued_callback" in inspect.getsource(
        websocket_session_manager), f"the session manager keeps its wake-up elsewhere: revisit {event_loop.__file__}"
    assert event_loop.apply() and event_loop.apply()  # twice: the second call changes nothing
    assert runtime.asyncio is event_loop._SHIM
    assert getattr(runtime.Runtime._enqueued_some_message, "_hwlab", False)


def test_the_message_flush_no_longer_yields_on_a_zero_sleep_but_still_sleeps():
    import asyncio

    from ui.streamlit_patches.event_loop import FlushWithoutYielding

    shim = FlushWithoutYielding()

    async def main():
        order = []

        async def other():
            order.append("another task")
        asyncio.ensure_future(other())
        await shim.sleep(0)
        order.append("after sleep(0)")  # the other task has not run: no turn of the loop
        await shim.sleep(0.01)
        order.append("after sleep(0.01)")
        return order
    assert _run(main) == ["after sleep(0)", "another task", "after sleep(0.01)"]
    assert shim.wait is asyncio.wait and shim.create_task is asyncio.create_task


def test_a_message_enqueued_on_the_loop_sets_the_event_and_from_a_thread_wakes_the_loop():
    import asyncio
    import threading
    import types

    from streamlit.runtime.runtime import Runtime

    from ui.streamlit_patches import event_loop

    assert event_loop.apply()

    async def main():
        loop = asyncio.get_running_loop()
        objs = types.SimpleNamespace(eventloop=loop, need_send_data=asyncio.Event())
        fake = types.SimpleNamespace(_get_async_objs=lambda: objs)
        woken = []
        loop.call_soon_threadsafe = lambda cb, *a: woken.append(cb)  # the self-pipe wake-up, recorded
        Runtime._enqueued_some_message(fake)  # on the loop's thread
        assert objs.need_send_data.is_set() and not woken
        objs.need_send_data.clear()
        worker = threading.Thread(target=Runtime._enqueued_some_message, args=(fake,))
        worker.start()
        worker.join()
        assert woken == [objs.need_send_data.set]  # another thread still goes through call_soon_threadsafe
        return True
    assert _run(main)


def test_script_threads_start_from_the_starter_thread():
    import threading

    from ui.streamlit_patches.event_loop import start_soon

    ran = threading.Event()
    start_soon(threading.Thread(target=ran.set))
    assert ran.wait(10)


def test_new_session_settings_are_built_once_and_the_same_as_streamlits():
    from streamlit.proto.NewSession_pb2 import Config, CustomThemeConfig
    from streamlit.runtime import app_session

    from ui.streamlit_patches import new_session_message

    assert new_session_message.apply()
    for name, proto, args in (("_populate_theme_msg", CustomThemeConfig, ()),
                               ("_populate_theme_msg", CustomThemeConfig, ("theme.sidebar",)),
                               ("_populate_config_msg", Config, ())):
        patched = getattr(app_session, name)
        assert getattr(patched, "_hwlab", False), f"{name} is not patched"
        ours, streamlits = proto(), proto()
        patched(ours, *args)
        patched.__wrapped__(streamlits, *args)
        assert ours == streamlits
    calls = []
    memo = new_session_message._memoized(lambda msg, *a: calls.append(a) or app_session._populate_config_msg.__wrapped__(msg))
    first, second = Config(), Config()
    memo(first)
    memo(second)
    assert len(calls) == 1 and first == second


def test_script_events_patch_target_still_wakes_the_loop_once_a_message():
    from streamlit.runtime import app_session

    from ui.streamlit_patches import script_events

    src = inspect.getsource(app_session)
    assert "self._call_soon_on_event_loop(" in _body(src, "def _on_scriptrunner_event"), \
        f"a script run's messages reach the loop another way: revisit {script_events.__file__}"
    assert "call_soon_threadsafe(callback)" in _body(src, "def _call_soon_on_event_loop"), \
        f"AppSession._call_soon_on_event_loop changed: revisit {script_events.__file__}"
    assert script_events.apply() and script_events.apply()  # twice: the second call changes nothing
    assert getattr(app_session.AppSession._call_soon_on_event_loop, "_hwlab", False)


def test_a_runs_messages_wake_the_loop_once_and_run_in_order_each_once():
    import asyncio
    import threading

    from ui.streamlit_patches.script_events import mailbox

    async def main():
        loop = asyncio.get_running_loop()
        wakeups = []
        real = loop.call_soon_threadsafe
        loop.call_soon_threadsafe = lambda cb, *a: wakeups.append(cb) or real(cb, *a)
        box, ran, done = mailbox(loop), [], asyncio.Event()

        def a_run(n: int) -> None:  # a script thread sending n messages while the loop is busy elsewhere
            for i in range(n):
                box.post(lambda i=i: ran.append(i))
            box.post(lambda: loop.call_soon(done.set))
        worker = threading.Thread(target=a_run, args=(30,))
        worker.start()
        worker.join()  # the loop has not had a turn: everything waits in the mailbox
        assert len(wakeups) == 1
        await asyncio.wait_for(done.wait(), 5)
        assert ran == list(range(30))
        box.post(lambda: ran.append("later"))  # the mailbox was drained: a new message wakes the loop again
        await asyncio.sleep(0.05)
        assert len(wakeups) == 2 and ran[-1] == "later" and ran.count("later") == 1
        return True
    assert _run(main)


def test_a_failing_message_callback_is_reported_and_the_next_ones_still_run():
    import asyncio

    from ui.streamlit_patches.script_events import mailbox

    async def main():
        loop = asyncio.get_running_loop()
        reported, ran = [], []
        loop.set_exception_handler(lambda _loop, context: reported.append(context["exception"]))
        box = mailbox(loop)
        box.post(lambda: 1 / 0)
        box.post(lambda: ran.append("next"))
        await asyncio.sleep(0.05)
        assert ran == ["next"] and isinstance(reported[0], ZeroDivisionError)
        return True
    assert _run(main)


def test_app_py_applies_every_patch_once_with_a_log_line_each_and_a_setting_turns_one_off(monkeypatch, caplog):
    """The patches are applied in one visible place (app.py's apply_all), never by importing ui/state.py; each
    says what it buys, and HWLAB_PATCH_<NAME>=0 leaves it out."""
    import logging

    import ui.streamlit_patches as patches

    applied = []
    for patch in patches.PATCHES:
        assert patch.SETTING.startswith("HWLAB_PATCH_") and patch.BUYS, patch.__name__
        monkeypatch.setattr(patch, "apply", lambda p=patch: applied.append(p.__name__) or True)
    monkeypatch.setattr(patches, "_applied", {})
    monkeypatch.setenv("HWLAB_PATCH_NEW_SESSION_MESSAGE", "0")
    log = logging.getLogger(patches.__name__)
    log.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger=patches.__name__):
            first = patches.apply_all()
            again = patches.apply_all()  # app.py runs on every rerun: nothing twice
    finally:
        log.removeHandler(caplog.handler)
    names = [p.__name__.rsplit(".", 1)[1] for p in patches.PATCHES]
    assert first == again == {n: n != "new_session_message" for n in names}
    assert [a.rsplit(".", 1)[1] for a in applied] == [n for n in names if n != "new_session_message"]
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == len(names) and all(line.startswith("streamlit patch ") for line in lines)
    assert any("new_session_message: off (HWLAB_PATCH_NEW_SESSION_MESSAGE=0)" in line for line in lines)
    assert "apply_all()" in (ROOT / "app.py").read_text()
    assert "streamlit_patches" not in (ROOT / "ui" / "state.py").read_text()
