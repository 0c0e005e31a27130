"""The plan's tables and reporting (design sections 6 and 10): table definitions, 附件1-3 and the entries of 附件2/3,
workbooks and CSV, the campaign calendar, submissions and their mail, the work summary, the home page's counts."""
