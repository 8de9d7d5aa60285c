"""Read-only summaries of the network for people (CLI, console)."""
