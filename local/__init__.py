"""The local runtime: embedded AWS (moto), the API gateway, pollers, schedules and demo data."""
