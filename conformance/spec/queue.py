"""placeholder"""
TITLE = "queue"
CLAUSES = ()
