"""One adapter per network: post a reply under a post or comment, and find it again after a crash."""
