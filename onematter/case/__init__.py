"""The case record: tables, the status lifecycle, the form's building blocks, staff accounts, the hand-over queue."""
