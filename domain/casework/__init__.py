"""Cases to closure (design sections 5 and 9): the problem list's institutions, cases, the plan's routing to
departments, referrals and their steps, and leads logged by other means."""
