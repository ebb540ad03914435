"""Registrations: places, the waitlist, double opt-in and self-service by link."""
