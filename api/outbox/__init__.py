"""The transactional outbox: work for other systems, committed with the change that caused it."""
