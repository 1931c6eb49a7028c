"""Who may use the dashboard: a login gate below Streamlit's pages (``gate``), the password (``passwords``),
signed sessions (``sessions``), the failed-login brake (``limiter``), and the pages' re-authentication
(``page``). ``app.py`` wires it through ``server.gate_options()``; ``python -m crbot dashboard`` sets the password.
"""
