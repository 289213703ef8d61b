"""Dunning (Mahnwesen): who gets which reminder today, default interest, letters with a GiroCode, runs."""
