#!/usr/bin/env bash
set -euxo pipefail
psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -c "UPDATE invoices SET status = 'overdue' WHERE NOT paid AND due_date < '2025-06-01'"
