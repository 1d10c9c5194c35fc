"""The demo complaint and the seeded demo data.

Every name here is also importable from :mod:`migrantcare`.
"""

from migrantcare.demo._demo_data import DemoData, demo_cases, demo_offices

__all__ = [
    "DemoData",
    "demo_cases",
    "demo_offices",
]
