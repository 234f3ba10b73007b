"""Read-only REST endpoints for reference data (docs/interfaces.md section 3)."""
