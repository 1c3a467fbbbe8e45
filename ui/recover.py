"""A page whose parts failed to load reloads itself once the server answers again.

Streamlit's browser code loads each kind of widget (text input, button, checkbox...) the first time a page
shows one. A page that is opening while the server restarts fails those loads, and the browser keeps each
failure for the life of the page: it then shows "TypeError: Failed to fetch dynamically imported module" in
place of every such widget, for good, although it reconnects. A few lines in the page watch for that message
and, once `/_stcore/health` answers, reload it; what the page should remember (nickname, room, model) is in
its link (ui/remembered.py), so the reload carries on. At most RELOADS_PER_MINUTE reloads a minute, so a
server that stays broken shows its messages instead of reloading forever."""
import streamlit as st

RELOADS_PER_MINUTE = 3
FAILED = "Failed to fetch dynamically imported module"

_SCRIPT = """
<script>
(() => {
  if (window.__hwlabRecover) return;
  window.__hwlabRecover = true;
  const KEY = "hwlab-recover-reloads", now = () => Date.now();
  const recent = () => JSON.parse(sessionStorage.getItem(KEY) || "[]").filter((t) => now() - t < 60000);
  const check = async () => {
    if (!document.body.innerText.includes(FAILED)) return;
    const done = recent();
    if (done.length >= RELOADS_PER_MINUTE) return;
    try {
      const health = await fetch(new URL("_stcore/health", document.baseURI), { cache: "no-store" });
      if (!health.ok) return;
    } catch (e) { return; }  // still down: try again at the next tick
    sessionStorage.setItem(KEY, JSON.stringify([...done, now()]));
    window.location.reload();
  };
  setInterval(check, 1500);
})();
</script>
""".replace("RELOADS_PER_MINUTE", str(RELOADS_PER_MINUTE)).replace("FAILED", repr(FAILED))


def reload_when_parts_failed() -> None:
    st.sidebar.html(_SCRIPT, unsafe_allow_javascript=True)
