"""The provincial elderly-allowance round trip (高龄津贴)."""
