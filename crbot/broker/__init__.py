"""Brokers: the paper exchange and the Binance connector behind one ``Broker`` interface."""
