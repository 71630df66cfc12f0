"""Conversations between a task's owner and one assistant, and the messages in them."""
