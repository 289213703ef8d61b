"""The company's banks over FinTS: connections, the client, prompts and sending an approved run."""
