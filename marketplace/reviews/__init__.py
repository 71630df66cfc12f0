"""Two-way, double-blind reviews of ended contracts; they feed the matcher's reputation factor."""
