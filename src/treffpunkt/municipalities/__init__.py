"""Municipalities: the tenants of an installation."""
