"""On the Train page (teacher only): "Teach the model our handwriting". One click fine-tunes the sidebar's
model on the drawings of this session's room (ui/rooms.py; none: the default room) mixed with its own training
data, in a background job; when it is done, before and after side by side (held-out students, the usual test
set), and the new model joins the picker, first in that room's. Only the room's owner trains on it."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.training import jobs
from core import datasets
from core.datasets import class_drawings
from core.classroom import finetune
from core.classroom.store import open_store
from core.errors import HWLabError
from ui import rooms as class_rooms
from ui.state import bundles, current_model_name
from ui.train import JOB_KEY

JOB = "class_teach_job"


@st.cache_data(show_spinner="Comparing before and after…", max_entries=8)
def _compare(before: str, after: str, room: str | None, _stamp: str) -> dict:
    return finetune.compare(before, after, room)


def _result(job: jobs.Job) -> None:
    if not job.finished:
        p = job.progress()
        st.info(f"Teaching {job.settings.get('init_from')}: {p.status or 'starting'} "
                f"(epoch {max(p.epoch, 1)} of {job.settings.get('epochs')}). Follow it under Now, below.",
                icon=":material/hourglass_top:")
        return
    if job.state != "done":
        st.error(job.message or job.state)
        return
    before, after = job.settings["init_from"], job.bundle
    try:
        r = _compare(before, after, job.settings.get("class_room"), job.id)
    except HWLabError as exc:
        st.error(str(exc))
        return
    rows = [{"measured on": f"held-out students ({r['held_out_students']['n']} drawings)",
             "before": r["held_out_students"]["before"] * 100, "after": r["held_out_students"]["after"] * 100}]
    if "usual_test_set" in r:
        u = r["usual_test_set"]
        rows.append({"measured on": f"{u['dataset']} test set ({u['n']:,} images)",
                     "before": u["before"] * 100, "after": u["after"] * 100})
    st.success(f"**{after}** learned the class's handwriting: it is in the model picker now. On the Class page, "
               f"pick it and press Re-read every drawing.", icon=":material/school:")
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="class_teach_table", column_config={
        "before": st.column_config.NumberColumn(f"before ({before})", format="%.1f%%"),
        "after": st.column_config.NumberColumn(f"after ({after})", format="%.1f%%")})


def class_teach() -> None:
    with st.expander("Teach the model our handwriting", icon=":material/school:",
                     expanded=bool(st.session_state.get(JOB))):
        try:
            store = open_store()
            room = class_rooms.current_room(store)
            mine = class_rooms.owns(room, store)
        except HWLabError as exc:
            st.error(str(exc))
            return
        status = class_drawings.status_room(room.code if room else None)
        model = current_model_name()
        whose = f"{room.name}'s drawings" if room else "the class's drawings"
        st.caption(f"Fine-tunes the sidebar's model on {whose} ({status['how']}) mixed with the data it "
                   f"learned from, so it forgets nothing; {finetune.EPOCHS} epochs. Whole students are held out "
                   f"to measure it.")
        if not mine:
            st.caption("Only the teacher who opened this room trains on its drawings.")
        alone = model and class_drawings.missing_base_sentence(model)
        if alone:  # said before the run, never a silent training on the drawings alone
            st.warning(alone, icon=":material/warning:")
        if st.button("Teach the model our handwriting", icon=":material/school:", key="class_teach_start",
                     disabled=not status["usable"] or not model or not mine):
            try:
                job = jobs.start(finetune.settings_for(model, room=room))
            except HWLabError as exc:
                st.error(str(exc))
            else:
                st.session_state[JOB] = job.id
                st.session_state[JOB_KEY] = job.id  # the page's live panel follows it
                st.session_state.setdefault("train_mine", []).append(job.id)
        if st.session_state.get(JOB):
            try:
                job = jobs.get(st.session_state[JOB])
            except HWLabError:
                st.session_state.pop(JOB)
                return
            if job.finished:
                bundles.clear()
            _result(job)
