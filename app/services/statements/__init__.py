"""Reading bank statement files (CAMT, MT940/MT942, bank CSV) into one normalized shape."""
