"""Calendars: RFC 5545 feeds and downloads that real clients read identically."""
