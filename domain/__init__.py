"""Paimo's domain rules as plain functions: no Flask here, so a test imports and calls them directly."""
