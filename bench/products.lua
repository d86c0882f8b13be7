-- wrk script: GET <prefix><id> for ids from a file, or <prefix> alone with "-".
-- usage: wrk ... -s bench/products.lua URL -- <ids file|-> <prefix> <random|unique> <threads>
--        [<cookie|header|query> [<start>]]
-- A line of the file is "<id>" or "<id> <store code>"; a store is named as the 5th argument says
-- (the entrance QR's "store" cookie by default, the X-Store header, or ?store=).
-- "unique" walks the lines from <start> (0 unless told) so that no line is asked twice (each
-- thread its own stride): a cold cache stays cold for the whole run.
local PROTO = "https"  -- X-Forwarded-Proto, as behind the TLS proxy: no SSL redirect
wrk.headers["X-Forwarded-Proto"] = PROTO

local ids, stores, prefix, mode, stride, via, start, n = {}, {}, "/api/products/", "random", 1,
  "cookie", 0, 0
-- "index" is a global: setup() sets it in each thread's own Lua state.
local next_index = 0

function setup(thread)
  next_index = next_index + 1
  thread:set("index", next_index)
end

function init(args)
  if args[1] and args[1] ~= "-" then
    for line in io.lines(args[1]) do
      local id, store = line:match("^(%S+)%s*(%S*)$")
      ids[#ids + 1] = id
      stores[#ids] = store ~= "" and store or nil
    end
  end
  prefix = args[2] or prefix
  mode = args[3] or mode
  stride = tonumber(args[4] or "1")
  via = args[5] or via
  start = tonumber(args[6] or "0")
  index = tonumber(index) or 1
  math.randomseed(os.time() + math.floor(os.clock() * 1e6) + index * 7919)
end

function request()
  if #ids == 0 then
    return wrk.format("GET", prefix)
  end
  local line
  if mode == "unique" then
    line = (start + n * stride + index - 1) % #ids + 1
    n = n + 1
  else
    line = math.random(#ids)
  end
  local path, store = prefix .. ids[line], stores[line]
  if store == nil then
    return wrk.format("GET", path)
  elseif via == "query" then
    return wrk.format("GET", path .. "?store=" .. store)
  end
  -- Headers given to wrk.format replace wrk.headers (Host excepted): repeat the proxy's.
  local headers = {["X-Forwarded-Proto"] = PROTO}
  if via == "header" then
    headers["X-Store"] = store
  else
    headers["Cookie"] = "store=" .. store
  end
  return wrk.format("GET", path, headers)
end

function done(summary, latency, requests)
  io.write(("requests=%d non2xx=%d timeouts=%d connect_errors=%d read_errors=%d\n"):format(
    summary.requests, summary.errors.status, summary.errors.timeout,
    summary.errors.connect, summary.errors.read))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(("p%s=%.3fms\n"):format(p, latency:percentile(p) / 1000))
  end
end
