"""Read-only REST endpoints for reference data (interfaces.md section 3)."""
