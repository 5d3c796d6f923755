"""python -m bench [--quick]: every benchmark in one table, each figure next to its baseline from the same run.

--quick finishes in under a minute (smaller counts); the full run uses the sizes the issues set.
Set TEST_DATABASE_URL to measure PostgreSQL as well as SQLite.
"""
import argparse
import asyncio
import os

from bench import dashboard, handlers, memory, schedule, similar, slack, teams

parser = argparse.ArgumentParser(prog="python -m bench")
parser.add_argument("--quick", action="store_true", help="small counts, under a minute")
args = parser.parse_args()
postgres = os.environ.get("TEST_DATABASE_URL")
count, requests, items, activities = (30, 100, 10000, 40) if args.quick else (300, 600, 100000, 300)
open_items, due = (8000, 2000) if args.quick else (20000, 5000)
rows = asyncio.run(handlers.measure_all(count, postgres))
rows += asyncio.run(slack.main(requests, postgres))
rows += asyncio.run(teams.main(activities, postgres))
rows += asyncio.run(memory.main(1 if args.quick else memory.ROUNDS, requests, postgres))
rows += asyncio.run(schedule.main(items, postgres, open_items, due, big=not args.quick))
rows += asyncio.run(dashboard.main(items, postgres, big=not args.quick, runs=5 if args.quick else dashboard.RUNS,
                                   budget=0 if args.quick else dashboard.BUDGET))
rows += asyncio.run(similar.main(postgres, items))
print(f"Benchmarks{' (quick)' if args.quick else ''}: {count} items through the handlers, {requests} Slack requests "
      f"at concurrency {slack.CONCURRENCY}, {activities} Teams activities, digest over {items} items")
print("baselines: raw INSERTs; a bare Bolt app that only acks; a bare botbuilder echo bot; the server's RSS once"
      " serving (its own process); the bare GROUP BY; selecting the due items and inserting their claims; the"
      " sweep's query count at a fifth as many due; a log+resolve's statements against a raw insert's; the bare"
      " driver's inserts; each dashboard page's own statements run bare; similar items: plain word overlap (Jaccard"
      " at its best threshold), and a full-text search")
print(handlers.table(rows))
