"""Hourly contracts' weeks: time logged per day, closed weekly, reviewed, charged, paid out."""
