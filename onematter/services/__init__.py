"""The use cases every front end calls — the CLI, the staff page, the worker and serve compose
nothing themselves: `applications` (apply, resume, one application, the list), `decisions`
(decide), `handover` (to Prefect: in this process or to the warm workers), `queries` (the staff
page's lists, search, case page, queue), `staff` (signing in), `replies` (a veteran's SMS reply);
and for the CLI's other commands `accounts`, `catalogue`, `documents` (verify), `fairs` (a
cancellation and the waitlist's tickets), `followups` (rehearse days), `notifications` (the outbox,
退订), `reports` (monthly), `staff_tasks` (a task's result, the lists). Keyword-only functions that
take a session (or open their own units of work) and return plain data."""
