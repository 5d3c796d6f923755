"""python -m bench: every benchmark's table."""
import asyncio
import os

from bench import handlers

asyncio.run(handlers.main(int(os.environ.get("BENCH_COUNT", "300")), os.environ.get("TEST_DATABASE_URL")))
