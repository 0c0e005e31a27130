"""The roster (底数清单, design section 11): reading a street's spreadsheet, importing it, and coverage against it."""
