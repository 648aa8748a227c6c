"""Django format modules (``FORMAT_MODULE_PATH``): dates in English as the statement writes
them ("5 December 2026", 24-hour times), not Django's American "Dec. 5, 2026, 1:45 p.m."."""
