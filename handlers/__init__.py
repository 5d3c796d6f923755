"""The rooms: one module per use case, platform-neutral. Nothing here imports a chat SDK."""
