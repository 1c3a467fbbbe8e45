"""The Models page's "Use this model elsewhere": pick a bundle, and per format (Keras, ONNX, LiteRT) a button
that builds its zip on request (core.export, with a progress bar) and then a download button for it. A format
that cannot hold the model says why in its own column; the other columns still work."""
from __future__ import annotations

import streamlit as st

from core import export, registry
from core.errors import HWLabError

WHAT_FOR = {
    "keras": "Keep training it, or run it in Python with Keras.",
    "onnx": "ONNX Runtime in Python, C#, Java, and in a web page (a page to draw on is included).",
    "litert": "Phones and small boards (Android, iOS, microcontrollers).",
}


def use_elsewhere(bundles: list[registry.Bundle], current: str | None) -> None:
    st.subheader("Use this model elsewhere")
    st.caption("Take a model home: a zip with the model, labels.txt, a README on the input it needs (28x28, white "
               "ink on black, in [0, 1], framed like MNIST), the preprocessing and a short example that runs.")
    by_name = {b.name: b for b in bundles}
    names = list(by_name)
    name = st.selectbox("Model to download", names, index=names.index(current) if current in names else 0,
                        format_func=lambda n: f"{by_name[n].title} ({n})", key="export_model")
    bundle = by_name[name]
    for fmt, column in zip(export.FORMATS.values(), st.columns(len(export.FORMATS))):
        with column:
            st.markdown(f"**{fmt.title}** (`{fmt.model_file}`)")
            st.caption(WHAT_FOR[fmt.name])
            _format_column(bundle, fmt)


def _format_column(bundle: registry.Bundle, fmt: export.Format) -> None:
    # This session's zip in this format once asked for: (bundle, its file time, the zip or the error sentence).
    # Kept in the session (at most one zip a format), not in a shared cache: a Streamlit cache would replay the
    # progress bar's updates, which belong to this run's page.
    slot = f"export_{fmt.name}"
    made = st.session_state.get(slot)
    if made is None or made[:2] != (bundle.name, bundle.mtime):  # not asked for yet: the button only
        st.button(f"Prepare the {fmt.name} zip", key=f"export_prepare_{fmt.name}", icon=":material/package_2:",
                  on_click=st.session_state.__setitem__, args=(slot, (bundle.name, bundle.mtime, None)))
        return
    if made[2] is None:  # asked for: built in this run (the button is gone), its progress shown
        text = f"Converting to {fmt.title}…"
        bar = st.progress(0.0, text=text)
        try:
            result = export.build_zip(bundle.name, fmt.name, lambda done, total: bar.progress(done / total, text))
        except HWLabError as exc:
            result = str(exc)  # said once; not converted again on every rerun
        finally:
            bar.empty()
        made = st.session_state[slot] = (bundle.name, bundle.mtime, result)
    if isinstance(made[2], str):
        st.error(made[2])
        return
    data = made[2]
    st.download_button(f"Download the {fmt.name} zip ({len(data) / 1e6:.1f} MB)", data, icon=":material/download:",
                       file_name=f"{bundle.name}-{fmt.name}.zip", mime="application/zip",
                       key=f"export_download_{fmt.name}", on_click="ignore")
