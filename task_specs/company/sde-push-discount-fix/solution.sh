#!/usr/bin/env bash
set -euxo pipefail
cd /tmp && git clone "$GIT_URL" shop && cd shop
python3 - <<'PY'
import re
path = "pricing.py"
code = open(path).read()
code = code.replace("Decimal(str(price - percent))", "(Decimal(str(price)) * (100 - Decimal(str(percent))) / 100)")
open(path, "w").write(code)
PY
git -c user.name=Agent -c user.email=agent@the-agent-company.com commit -am "Fix apply_discount: take a percentage, round to cents"
git push origin main
