"""The delegation planner: audit the week, price it from the live pool, post the tasks."""
