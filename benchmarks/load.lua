-- wrk script of benchmarks/load.py: requests read from a file, rotated per request, results on one line.
--
-- ANJU_WRK_REQUESTS names a file with one request per line: METHOD \t PATH \t HEADERS \t BODY, the
-- headers "Name: value" separated by \31 (unit separator), the body empty for none. Each wrk thread
-- (ANJU_WRK_THREADS of them) takes every n-th line, so threads never send the same line (a webhook
-- event, a payment) at the same time; each thread cycles through its lines, one per request.
-- done() prints "ANJU-WRK key=value ..." (times in microseconds) for benchmarks/load.py to parse.

local threads = tonumber(os.getenv("ANJU_WRK_THREADS") or "1")
local next_id = 0

function setup(thread)
   thread:set("tid", next_id)
   next_id = next_id + 1
end

function init(args)
   reqs = {}
   local f = assert(io.open(os.getenv("ANJU_WRK_REQUESTS"), "rb"))
   local i = 0
   for line in f:lines() do
      if i % threads == tid then
         local method, path, hdrs, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
         local headers = {}
         for h in hdrs:gmatch("[^\31]+") do
            local k, v = h:match("^([^:]+):%s*(.*)$")
            headers[k] = v
         end
         if body == "" then body = nil end
         reqs[#reqs + 1] = wrk.format(method, path, headers, body)
      end
      i = i + 1
   end
   f:close()
   assert(#reqs > 0, "no requests for this thread")
   idx = 0
end

function request()
   idx = idx % #reqs + 1
   return reqs[idx]
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "ANJU-WRK requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d max_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
      latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
