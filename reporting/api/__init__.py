"""The statistics API: /api/v1/stats/hires/ and /api/v1/stats/outcomes/ (docs/interfaces.md section 3)."""
