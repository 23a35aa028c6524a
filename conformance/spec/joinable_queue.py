"""placeholder"""
TITLE = "joinable_queue"
CLAUSES = ()
