"""Reading student lists (Dapodik XLSX, the app's template, CSV; the same saved as XLS, XLSB or
ODS) apart from saving them.

``readers`` turns a file into rows with the spreadsheet row numbers the user sees (``extents``
bounds each format's sheets before calamine builds them), ``rows``
normalises and judges each row on its own, ``plan`` matches the rows against the school's
students (new / updated / unchanged / conflict / left). Nothing here writes to the database:
``schools.services`` does that in one transaction.
"""
