"""placeholder"""
TITLE = "simple_queue"
CLAUSES = ()
