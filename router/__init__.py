"""Topic x location -> responsible agencies, from region data with a learned fallback."""
