-- wrk script: GET <prefix><id> for ids from a file, or <prefix> alone with "-".
-- usage: wrk ... -s bench/products.lua URL -- <ids file|-> <prefix> <random|unique> <threads>
-- "unique" walks the ids so that no id is asked twice (each thread its own stride): a cold
-- cache stays cold for the whole run.
wrk.headers["X-Forwarded-Proto"] = "https"  -- as behind the TLS proxy; no SSL redirect

local ids, prefix, mode, stride, n = {}, "/api/products/", "random", 1, 0
-- "index" is a global: setup() sets it in each thread's own Lua state.
local next_index = 0

function setup(thread)
  next_index = next_index + 1
  thread:set("index", next_index)
end

function init(args)
  if args[1] and args[1] ~= "-" then
    for line in io.lines(args[1]) do ids[#ids + 1] = line end
  end
  prefix = args[2] or prefix
  mode = args[3] or mode
  stride = tonumber(args[4] or "1")
  index = tonumber(index) or 1
  math.randomseed(os.time() + math.floor(os.clock() * 1e6) + index * 7919)
end

function request()
  local path = prefix
  if #ids > 0 then
    if mode == "unique" then
      path = prefix .. ids[(n * stride + index - 1) % #ids + 1]
      n = n + 1
    else
      path = prefix .. ids[math.random(#ids)]
    end
  end
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  io.write(("requests=%d non2xx=%d timeouts=%d connect_errors=%d read_errors=%d\n"):format(
    summary.requests, summary.errors.status, summary.errors.timeout,
    summary.errors.connect, summary.errors.read))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(("p%s=%.3fms\n"):format(p, latency:percentile(p) / 1000))
  end
end
