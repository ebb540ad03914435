"""Events: venues, programmes, events and their sessions, one-off and recurring."""
