#!/usr/bin/env python3
"""Times two of the writes a batch of purchases makes for missions, on a copy of the file
`philia bench missions` leaves, each inside a transaction that is rolled back:

- upserting 20,000 open progress rows with the statement Philia runs, against one that does not
  name `status`, `deadline_at` and `completed_at` (so SQLite leaves the deadline index alone);
- inserting 20,000 mission events with `RETURNING id`, against the same insert without it.

Statements of 500 rows, as Philia's bulk writes. Needs `pip install pysqlite3-binary` (a recent
SQLite with `string_agg`).

    rm -f /tmp/b/missions.db*
    target/release/philia --database-url sqlite:///tmp/b/missions.db bench missions --invoices 100000 --customers 10000
    python3 scripts/replay_mission_writes.py /tmp/b/missions.db
"""

import random
import shutil
import sys
import time

import pysqlite3 as sqlite3

ROWS = 20_000
PER_STATEMENT = 500
ROUNDS = 3

PROGRESS_COLUMNS = (
    "tenant_id, mission_id, customer_id, period, step, current, seen, status, joined_at, deadline_at, "
    "completed_at, counted, facts, facts_counted, facts_reserved, refund_round, updated_at"
)
KEY = "ON CONFLICT (tenant_id, mission_id, customer_id, period) DO UPDATE SET step = excluded.step, " \
      "current = excluded.current, seen = excluded.seen, "
REST = "facts = mission_progress.facts || excluded.facts, facts_counted = excluded.facts_counted, " \
       "facts_reserved = excluded.facts_reserved, refund_round = excluded.refund_round, updated_at = excluded.updated_at"
FULL = KEY + "status = excluded.status, deadline_at = excluded.deadline_at, completed_at = excluded.completed_at, " + REST
NARROW = KEY + REST
FACT = '{"i":139062,"t":1796492065920,"a":340000,"f":340000,"s":[{"k":0}]}\n'

EVENT_COLUMNS = "tenant_id, id, event_key, customer_id, type, source, occurred_at, day, properties, created_at"


def timed(db, statements):
    """Seconds to run `statements` (sql, args) in one transaction, rolled back afterwards."""
    db.execute("BEGIN")
    start = time.perf_counter()
    for sql, args in statements:
        db.execute(sql, args).fetchall()
    seconds = time.perf_counter() - start
    db.execute("ROLLBACK")
    return seconds


def chunked(insert, width, rows, suffix):
    for i in range(0, len(rows), PER_STATEMENT):
        chunk = rows[i:i + PER_STATEMENT]
        values = ",".join(["(" + ",".join("?" * width) + ")"] * len(chunk))
        yield f"{insert} VALUES {values} {suffix}", [v for row in chunk for v in row]


def main(path):
    copy = path + ".replay"
    shutil.copyfile(path, copy)
    db = sqlite3.connect(copy, isolation_level=None)
    db.execute("PRAGMA cache_size = -262144")

    open_rows = db.execute(
        "SELECT tenant_id, mission_id, customer_id, period, step, current, seen, status, joined_at, deadline_at, "
        "completed_at, counted, facts_counted, facts_reserved, refund_round FROM mission_progress WHERE status = 'active'"
    ).fetchall()
    random.seed(1)
    sample = random.sample(open_rows, min(ROWS, len(open_rows)))
    progress = [list(r[:12]) + [FACT] + list(r[12:]) + [1] for r in sample]
    insert = f"INSERT INTO mission_progress ({PROGRESS_COLUMNS})"

    tenant, last = db.execute("SELECT tenant_id, MAX(id) FROM events GROUP BY tenant_id ORDER BY 2 DESC LIMIT 1").fetchone()

    def events(base):
        return [
            (tenant, base + i, f"mission_started:{1000 + i % 20}:{5000 + i}:all:0:{base}", 5000 + i % 9000, "mission_started",
             "philia", 1796492065920, "2026-12-05", '{"mission":"first_purchase","period":"all","steps_done":0,"steps":1}',
             1796492065920)
            for i in range(ROWS)
        ]

    print(f"{len(sample)} open progress rows, {ROWS} events, {ROUNDS} rounds (seconds)")
    for n in range(ROUNDS):
        full = timed(db, chunked(insert, 17, progress, FULL))
        narrow = timed(db, chunked(insert, 17, progress, NARROW))
        base = last + 1_000_000 * (n + 1)
        returning = timed(db, chunked(f"INSERT INTO events ({EVENT_COLUMNS})", 10, events(base),
                                      "ON CONFLICT (tenant_id, event_key) DO NOTHING RETURNING id"))
        plain = timed(db, chunked(f"INSERT INTO events ({EVENT_COLUMNS})", 10, events(base + 500_000),
                                  "ON CONFLICT (tenant_id, event_key) DO NOTHING"))
        print(f"progress upsert naming status: {full:.3f}  without: {narrow:.3f}   "
              f"events with RETURNING: {returning:.3f}  without: {plain:.3f}")
    db.close()


if __name__ == "__main__":
    main(sys.argv[1])
