"""Support's pure core: ranking suggested articles for a conversation (plain data in and out, no ORM)."""
