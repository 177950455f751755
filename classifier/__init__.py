"""Russian-language suggestions for a post: topic, location, importance, R22 moderation, repeats."""
