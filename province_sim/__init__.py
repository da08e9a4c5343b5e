"""Stand-in for the provincial elderly-allowance system (高龄津贴): its own app and its own database.

It speaks the contract in `api.province.contract`, decides by the rules in DOMAIN.md, calls the district
back, and can be told to misbehave (slow, failing, down, duplicate or out-of-order callbacks).
"""

from province_sim.app import create_sim_app
from province_sim.config import SimConfig

__all__ = ["SimConfig", "create_sim_app"]
