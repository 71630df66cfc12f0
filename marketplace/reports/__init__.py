"""Reports of people (their public profile, or an owner where owners are shown) and the
operators' queue of them and of reported messages."""
