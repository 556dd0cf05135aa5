"""Getting data in: the contract-validating loader (``loader``) and the quality checks of what
it loaded (``quality``). Source connectors and adapters join them here."""
