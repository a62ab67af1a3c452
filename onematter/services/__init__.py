"""The use cases every front end calls — the CLI, the staff page, the worker and serve compose
nothing themselves: `applications` (apply, resume, one application, the list), `decisions`
(decide), `handover` (to Prefect: in this process or to the warm workers), `queries` (the staff
page's lists, search, case page, queue), `staff` (signing in, a task's result), `replies` (a
veteran's SMS reply). Keyword-only functions that take a session (or open
their own units of work) and return plain data."""
