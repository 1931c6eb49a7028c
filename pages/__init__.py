"""Dashboard screens: each module is one page with a ``render()`` that app.py routes to.

Running a page file directly (Streamlit's legacy ``pages/`` discovery) only redirects to the frame, so
no page can be reached without the sidebar, the mode banner and the STOP button.
"""
