"""Staff and customer pages: evaluation."""
