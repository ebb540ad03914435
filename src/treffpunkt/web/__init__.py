"""Server-rendered pages (so far: the page a registration link opens)."""
