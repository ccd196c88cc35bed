"""Points on the map and the distance between them, and where a shopper is, for choosing the
warehouse their return label goes to.

Shops may send the shopper's coordinates with the order address (`latitude`,
`longitude`); otherwise the country's approximate population centre stands in
(offline: no geocoding service is called). A country we do not know gives no
point, and the caller falls back to the merchant's default warehouse.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.validation import Latitude, Longitude

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)


class GeoPoint(BaseModel):
    """WGS 84 degrees: latitude -90..90, longitude -180..180."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lat: Latitude
    lon: Longitude


def distance_km(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance (haversine), in km rounded to the metre.

    Symmetric bit for bit (only absolute differences and commutative products are
    used) and exactly 0 from a point to itself.
    """
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = abs(lat1 - lat2)
    dlon = abs(math.radians(a.lon) - math.radians(b.lon))
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    h = min(max(h, 0.0), 1.0)
    return round(2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h)), 3)


# Approximate population-weighted centres (degrees), rounded; good enough to pick a warehouse.
COUNTRY_CENTRES: dict[str, tuple[float, float]] = {
    "AT": (47.9, 15.2),
    "AU": (-32.0, 147.0),
    "BE": (50.8, 4.4),
    "BG": (42.7, 24.7),
    "CA": (45.5, -76.0),
    "CH": (47.2, 8.2),
    "CZ": (49.9, 15.6),
    "DE": (50.9, 9.4),
    "DK": (55.8, 11.0),
    "EE": (58.9, 25.3),
    "ES": (40.2, -3.6),
    "FI": (61.3, 25.2),
    "FR": (47.0, 2.6),
    "GB": (52.6, -1.5),
    "GR": (38.6, 23.3),
    "HR": (45.5, 16.3),
    "HU": (47.3, 19.3),
    "IE": (53.3, -7.4),
    "IT": (42.8, 12.3),
    "JP": (35.6, 138.0),
    "LT": (55.2, 24.0),
    "LU": (49.7, 6.1),
    "LV": (56.9, 24.4),
    "MX": (20.5, -100.0),
    "NL": (52.2, 5.3),
    "NO": (60.5, 10.0),
    "NZ": (-38.5, 175.5),
    "PL": (51.9, 19.4),
    "PT": (39.9, -8.4),
    "RO": (45.6, 25.4),
    "SE": (59.0, 16.0),
    "SI": (46.1, 14.8),
    "SK": (48.6, 19.3),
    "US": (37.5, -91.0),
}


def shopper_point(address: Mapping[str, Any]) -> GeoPoint | None:
    """The address's own coordinates if valid, else its country's centre, else None."""
    lat, lon = address.get("latitude"), address.get("longitude")
    if isinstance(lat, int | float) and isinstance(lon, int | float) and -90 <= lat <= 90 and -180 <= lon <= 180:
        return GeoPoint(lat=float(lat), lon=float(lon))
    centre = COUNTRY_CENTRES.get(str(address.get("country", "")).strip().upper())
    return None if centre is None else GeoPoint(lat=centre[0], lon=centre[1])
