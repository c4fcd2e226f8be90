"""Helpers for building small synthetic test data."""
