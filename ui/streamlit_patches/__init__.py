"""Streamlit internals this app changes, one module each, because Streamlit has no setting for them
(checked against its 1.67 config options, docs and issue threads). Each module says why and
tests/test_streamlit_patches.py fails loudly, naming the module, when a Streamlit upgrade moves what
it patches. ui/state.py applies them."""
