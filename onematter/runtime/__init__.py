"""The processes: the served stack and the warm workers."""
