"""Market data: price feeds (Binance public data, seeded synthetic, manual for tests)."""
