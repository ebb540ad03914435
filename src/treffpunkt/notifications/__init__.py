"""Mail: the transactional outbox, templates, delivery and the worker."""
