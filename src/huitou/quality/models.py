"""QA inspection (质检) of conversations."""
