"""What a reader gets: briefs on a topic, stories grouping one event's reports, daily digests."""
