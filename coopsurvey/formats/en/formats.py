"""English dates and times: one style everywhere, 24-hour clock ("7 December 2026, 13:45").

Django's default ("Dec. 7, 2026, 1:45 p.m.") ended sentences in "p.m.." and mixed with the ISO-style
tables; pages use these named formats only (tests/coopsurvey/test_date_formats.py).
"""

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
