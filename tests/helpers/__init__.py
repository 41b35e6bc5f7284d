"""Helpers shared by mutgate's own tests."""
