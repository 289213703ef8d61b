"""Domain logic, free of Qt: the CLI and the GUI call the same functions."""
