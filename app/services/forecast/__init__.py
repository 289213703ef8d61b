"""Cash forecast: balances plus what is known to come, recurring bookings found in the history, warnings."""
