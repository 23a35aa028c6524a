"""placeholder"""
TITLE = "manager_queue"
CLAUSES = ()
