"""Huitou (回头): a customer-service system for Chinese-speaking service teams."""

__version__ = "0.1.0"
