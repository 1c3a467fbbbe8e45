"""Streamlit helpers shared by the pages: cached resources, the sidebar picker, pictures and plots.
The pages describe what the user sees; this package and core do the work."""
