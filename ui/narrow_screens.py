"""The sidebar closed as the app opens on a narrow screen (a tablet held upright), not only on a phone.

Streamlit's initial_sidebar_state="auto" closes it below 768 px only; a tablet at 820 px then gives the page
300 px less. Python does not know the screen's width, so a few lines in the browser close the sidebar once per
page load, when the window is narrower than NARROW_PX; a user who opens it again keeps it open. Where Streamlit
changes its markup and the button is not found, nothing happens: the Draw page's layout fits either way."""
import streamlit as st

NARROW_PX = 1024

_SCRIPT = """
<script>
(() => {
  if (window.__hwlabSidebarChecked || window.innerWidth >= NARROW_PX) { window.__hwlabSidebarChecked = true; return; }
  window.__hwlabSidebarChecked = true;
  const close = (triesLeft) => {
    const button = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
    if (button && button.getAttribute("aria-expanded") === "true") { button.click(); return; }
    if (!button && triesLeft > 0) setTimeout(() => close(triesLeft - 1), 100);
  };
  close(30);
})();
</script>
""".replace("NARROW_PX", str(NARROW_PX))


def close_sidebar_on_narrow_screens() -> None:
    st.sidebar.html(_SCRIPT, unsafe_allow_javascript=True)
