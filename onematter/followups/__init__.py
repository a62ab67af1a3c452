"""Follow-ups that reach people: the outbox (messages), staff tasks and the days they fall on —
the pieces every matter's scheduled follow-ups are written with."""
