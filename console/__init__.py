"""The web workplace of curators, executors, agency leads and analysts."""
