-- wrk script for bench/readership.py: every request is a distinct (visitor, page) view, so
-- every acknowledged beacon must end up as exactly one stored view.
-- Env: BENCH_PAGES (comma-separated page ids), BENCH_RUN (a nonce for this run).
local pages = {}
for id in string.gmatch(os.getenv("BENCH_PAGES"), "[^,]+") do pages[#pages + 1] = id end
local run = os.getenv("BENCH_RUN")
local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  n = 0
  acked = 0
  refused = 0
end

function request()
  local page = pages[(n % #pages) + 1]
  local round = math.floor(n / #pages)
  n = n + 1
  local ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) " ..
             "Chrome/130.0 Safari/537.36 r" .. run .. "t" .. id .. "n" .. round
  return wrk.format("POST", "/_/view", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["User-Agent"] = ua,
  }, "page=" .. page .. "&r=https%3A%2F%2Fnews.example.org%2Fa")
end

function response(status, headers, body)
  if status == 204 then acked = acked + 1 else refused = refused + 1 end
end

function done(summary, latency, requests)
  local a, r = 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("acked")
    r = r + t:get("refused")
  end
  io.write(string.format("ACKED %d REFUSED %d P50_MS %.2f P99_MS %.2f\n", a, r,
                         latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
