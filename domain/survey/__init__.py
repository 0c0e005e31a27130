"""The door-to-door survey (design sections 4-6, 8): checking and storing a record, corrections, the survey form,
buildings and units, each unit's latest record, and the red flags of a training."""
