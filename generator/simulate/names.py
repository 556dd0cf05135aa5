"""Name pools for people, companies and places (plain data, no logic beyond picking)."""

from __future__ import annotations

import random

FIRST = ("Alex", "Maria", "Jonas", "Priya", "Chen", "Sofia", "Liam", "Amara", "Noah", "Elena",
         "Kenji", "Fatima", "Lucas", "Hannah", "Mateo", "Olga", "Ravi", "Chloe", "Tomás", "Ingrid")
LAST = ("Kowalski", "Okafor", "Schmidt", "Nguyen", "García", "Müller", "Smith", "Rossi", "Tanaka",
        "Dubois", "Patel", "O'Brien", "Larsen", "Silva", "Novak", "Cohen", "Khan", "Walsh")
_ADJ = ("Blue", "Northern", "Summit", "Bright", "Iron", "Silver", "Harbor", "Evergreen", "Red",
        "Pioneer", "Atlas", "Coastal", "Granite", "Swift", "Cedar", "Orbit", "Lumen", "Vista")
_NOUN = ("Harbor", "Peak", "River", "Bridge", "Field", "Works", "Point", "Grid", "Forge", "Line",
         "Labs", "Systems", "Partners", "Group", "Networks", "Dynamics", "Foods", "Health")
_SUFFIX = {"US": "Inc.", "CA": "Ltd.", "GB": "Ltd", "DE": "GmbH", "FR": "SAS", "NL": "B.V.",
           "ES": "S.L.", "IE": "Ltd", "AU": "Pty Ltd", "NZ": "Ltd", "MX": "S.A. de C.V.",
           "BR": "Ltda.", "SG": "Pte. Ltd.", "JP": "K.K."}
TENANTS = ("Northwind Operations", "Contoso Field Services", "Fabrikam Connect", "Tailspin Cloud",
           "Wingtip Systems", "Litware Networks", "Adatum Devices", "Proseware Europe",
           "Woodgrove Digital", "Alpine Ski Works", "Margie's Travel Tech", "Coho Logistics")


def person(r: random.Random) -> str:
    return f"{r.choice(FIRST)} {r.choice(LAST)}"


def handle(name: str) -> str:
    first, last = name.split(" ", 1)
    return f"{first[0].lower()}.{last.lower().replace(' ', '').replace(chr(39), '')}"


def company(r: random.Random, country: str) -> str:
    """A company name; some carry commas, quotes or accents so CSV quoting is exercised."""
    roll = r.random()
    if roll < 0.04:
        return f"{r.choice(LAST)}, {r.choice(LAST)} & Co"
    if roll < 0.06:
        return f'"{r.choice(_ADJ)}" {r.choice(_NOUN)} {_SUFFIX.get(country, "Ltd")}'
    return f"{r.choice(_ADJ)} {r.choice(_NOUN)} {_SUFFIX.get(country, 'Ltd')}"
