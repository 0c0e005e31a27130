"""The rules of the campaign as plain Python: no Flask here, so that a test imports a rule and calls it.

One package per area, named as the people of design.md section 2 would name it; imports run one way,
blueprints → domain → models (tests/test_structure.py holds the code to it):

- `common/`    helpers every area uses: Shanghai time, the glossary's codes, matching keys, money in fen, the
               API's field types (each shape written once: parsed and described from one definition)
- `org/`       the organisation: its tree of districts, streets and 居委, departments, user accounts, sessions
               and tokens, login throttling, the audit log, and who may see and do what (permissions)
- `survey/`    the door-to-door survey: checking and storing records, corrections, the form, buildings and units,
               each unit's latest record, the red flags of a training
- `public/`    what residents meet: posters and their scans, reports and the 线索 queue, the approved list, the
               guide, photos, and the masking of personal data
- `casework/`  cases to closure: the problem list's institutions, cases, routing to departments, referrals, leads
- `reporting/` the plan's tables and reporting: table definitions, 附件1-3 and their entries, workbooks, the
               campaign calendar, submissions and their mail, the work summary, the home page's counts
- `api/`       the JSON API's contract: the OpenAPI document
- `demo.py`    the demo street, users and records of `make run`, touching every area
"""
