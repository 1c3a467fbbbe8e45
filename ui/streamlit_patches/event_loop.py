"""Keep the server's event loop out of the GIL's queue.

Streamlit serves every session from one asyncio loop on the main thread, and each script run gets a thread
of its own. While a class draws, those threads hold the GIL most of the time. Each time the loop makes a
system call it gives the GIL up, and getting it back can take up to the switch interval (5 ms). The loop
carries every message of every session, so these waits add up to the students' wait.

The loop sends the messages of every session from one coroutine, `Runtime._loop_coroutine`, and it yields
(`await asyncio.sleep(0)`) after each message: one message a turn of the loop. A turn polls the sockets, and
the poll gives up the GIL, so under load a turn took a millisecond or more and the loop sent at most a few
hundred messages a second, fewer than 40 students drawing ask for: their answers queued for up to a second
(measured with a 10 ms ticker on the loop and the time from a run's end to its last message sent). Here that
one coroutine's `sleep(0)` does not yield: a turn sends everything queued, and the coroutine still pauses 5 ms
between rounds (`MESSAGE_FLUSH_INTERVAL_SECS`), so other work on the loop is not held up.

py-spy (`--idle --threads`) on the server, during `benchmarks/concurrent_users.py --class --sessions 40`,
also showed the loop spending about half its time in two waits that do no work:
- `Runtime._enqueued_some_message` runs on the loop itself for each message a run sends. It wakes the loop
  by writing a byte to the loop's own socket (`call_soon_threadsafe`). On the loop's thread, setting the
  event is enough.
- `ScriptRunner.start` runs on the loop for each rerun. `Thread.start` blocks until the new thread has
  the GIL and has started. Here a starter thread does that wait, and the loop goes on.
"""
from __future__ import annotations

import asyncio
import logging
import queue
import threading

SETTING = "HWLAB_PATCH_EVENT_LOOP"  # =0 turns it off (ui/streamlit_patches/__init__.py)
BUYS = ("the loop sends every queued message a turn (with new_session_message, the class send and the wall's "
        "grid: --class 40 sessions p95 1.83-2.10 s -> 1.00-1.24 s, wall refresh p95 2.1 -> 1.12-1.65 s, "
        "commit cb7f1e3)")
TARGETS = ("streamlit.runtime.runtime.Runtime._enqueued_some_message",
           "streamlit.runtime.scriptrunner.script_runner.ScriptRunner.start",
           "streamlit.runtime.runtime.asyncio (as Runtime._loop_coroutine uses it)")
_log = logging.getLogger(__name__)
_to_start: "queue.SimpleQueue[threading.Thread]" = queue.SimpleQueue()
_starter_lock = threading.Lock()
_starter: threading.Thread | None = None


def _start_threads() -> None:
    while True:
        thread = _to_start.get()
        try:
            thread.start()
        except Exception:  # noqa: BLE001 - one failed start must not stop the next sessions' runs
            _log.exception("could not start %s", thread.name)


def start_soon(thread: threading.Thread) -> None:
    """Start `thread` from the starter thread; returns at once."""
    global _starter
    with _starter_lock:
        if _starter is None or not _starter.is_alive():
            _starter = threading.Thread(target=_start_threads, name="hwlab-script-thread-starter", daemon=True)
            _starter.start()
    _to_start.put(thread)


class FlushWithoutYielding:
    """What streamlit.runtime.runtime sees as `asyncio`: the module itself, but `sleep(0)` returns at once."""

    def __getattr__(self, name: str):
        return getattr(asyncio, name)

    @staticmethod
    async def sleep(delay: float, result=None):
        if delay <= 0:
            return result
        return await asyncio.sleep(delay, result)


_SHIM = FlushWithoutYielding()


def _on_the_loop(loop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def apply() -> bool:
    """Patch both; False (and a log line) when this Streamlit lacks either."""
    try:
        from streamlit.runtime import runtime as runtime_module
        from streamlit.runtime.runtime import Runtime
        from streamlit.runtime.scriptrunner.script_runner import ScriptRunner
    except ImportError:
        runtime_module = Runtime = ScriptRunner = None
    if (Runtime is None or ScriptRunner is None or not hasattr(Runtime, "_enqueued_some_message")
            or not hasattr(Runtime, "_get_async_objs") or not hasattr(ScriptRunner, "_run_script_thread")
            or getattr(runtime_module, "asyncio", None) not in (asyncio, _SHIM)):
        _log.warning("%s moved: the event loop waits for the GIL again; see %s", " or ".join(TARGETS), __file__)
        return False
    if getattr(Runtime._enqueued_some_message, "_hwlab", False):
        return True
    wake_from_any_thread = Runtime._enqueued_some_message

    def _enqueued_some_message(self) -> None:
        objs = self._get_async_objs()
        if _on_the_loop(objs.eventloop):
            objs.need_send_data.set()
        else:
            wake_from_any_thread(self)

    def start(self) -> None:
        if self._script_thread is not None:
            raise RuntimeError("ScriptRunner was already started")
        # Nothing joins this thread or waits for it to run: its requests wait in the runner's own queue.
        self._script_thread = threading.Thread(target=self._run_script_thread, name="ScriptRunner.scriptThread",
                                               daemon=True)
        start_soon(self._script_thread)

    runtime_module.asyncio = _SHIM  # the running loop coroutine looks the name up at each call: it takes effect now
    _enqueued_some_message._hwlab = start._hwlab = True
    Runtime._enqueued_some_message = _enqueued_some_message
    ScriptRunner.start = start
    _rebind_the_running_server(Runtime)
    return True


def _rebind_the_running_server(Runtime) -> None:
    """This runs in the first script run, after the server started: its session manager, and the sessions
    it made, hold the method bound before the patch. Give them the patched one."""
    if not Runtime.exists():
        return
    runtime = Runtime.instance()
    manager = getattr(runtime, "_session_mgr", None)
    if getattr(manager, "_message_enqueued_callback", None) is None:
        return  # AppTest's runtime; the server's (WebSocketSessionManager) is checked by tests/test_streamlit_patches.py
    manager._message_enqueued_callback = runtime._enqueued_some_message
    for info in manager.list_sessions():
        if getattr(info.session, "_message_enqueued_callback", None) is not None:
            info.session._message_enqueued_callback = runtime._enqueued_some_message
