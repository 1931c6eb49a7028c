"""CRBOT core: the trading control room's engine, usable without Streamlit."""

__version__ = "0.1.0"
