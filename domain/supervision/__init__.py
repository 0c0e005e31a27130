"""Supervision (强化考核, design section 12): quality signals raised from the records, 回访 back-checks, ranking and
督办 orders. A signal is evidence for a person to check, never a verdict."""
