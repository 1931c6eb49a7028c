"""Paper mode's exchange: a matching engine with Binance spot semantics over its own SQLite book.

``MatchingEngine`` (engine.py) is the one entry point; ``paper_market`` (factory.py) builds it with the
feed, clock, rules and fees it reads. The paper broker uses it in-process; ``crbot.localexchange`` serves
it over HTTP. This package never imports its HTTP face.
"""
