"""REST endpoints for care leavers, placements and outcomes (interfaces.md section 3)."""
