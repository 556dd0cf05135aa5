"""Ingestion: source connectors, the contract-validating loader and the sample-data generator."""
