-- SPDX-License-Identifier: MIT
-- wrk script of the server test and benchmark: every request visits one of
-- 1000 sessions (/session?id=sN), so the session cache sees reads and
-- updates spread over many keys, and every request is rate-limit checked.
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/session?id=s" .. (n % 1000))
end
