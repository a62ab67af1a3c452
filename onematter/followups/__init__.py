"""Follow-ups that reach people: the outbox."""
