"""REST endpoints for care leavers, placements and outcomes (docs/interfaces.md section 3)."""
