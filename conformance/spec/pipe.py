"""placeholder"""
TITLE = "pipe"
CLAUSES = ()
