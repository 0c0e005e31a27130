"""What residents meet (design section 7): warning posters and their scans, reports and the 线索 queue, the approved
list and /check, the guide, photos, and the masking of personal data."""
