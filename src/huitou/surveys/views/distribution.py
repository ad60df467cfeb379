"""Staff and customer pages: distribution."""
