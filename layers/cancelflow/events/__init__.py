"""Domain events (docs/events.md): the catalogue of versioned schemas, the mapping from
history entries (the transactional outbox) to events, and the stream publisher's logic."""
