"""Monthly payment batches (资金发放)."""
