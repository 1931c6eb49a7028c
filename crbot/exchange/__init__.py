"""Exchange rules: symbol filters in Binance's exchangeInfo form, validated with Decimal."""
