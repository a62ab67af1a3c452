"""The casework over every registered matter: the one form, deciding, the file of documents, the board, follow-ups, statistics."""
