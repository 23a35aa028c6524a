"""placeholder"""
TITLE = "sharing"
CLAUSES = ()
