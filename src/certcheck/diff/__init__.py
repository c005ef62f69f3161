"""``certcheck diff``: what changed between two registers of one enterprise.

``compare`` pairs the rows and finds the changes (pure); ``digest`` says them as a title and
sections of lines with masked IDs, for a terminal or a group robot; ``files`` writes them.
"""
