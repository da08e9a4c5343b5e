"""Satisfaction ratings after a case ends (满意度评价)."""
