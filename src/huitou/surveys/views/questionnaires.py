"""Staff and customer pages: questionnaires."""
