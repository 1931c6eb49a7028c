"""Shared Streamlit pieces of the dashboard: the cached runtime, the sidebar, the STOP dialog, formatting.

Nothing here decides anything about orders or risk: every action goes through ``crbot.service``.
"""
