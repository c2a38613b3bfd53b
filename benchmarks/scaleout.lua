-- The scale-out benchmark's mix (benchmarks/scaleout.py): of every 10 requests, 9 read one of
-- the first 100 items (GET /items/{id}, cached in Redis) and 1 creates an item (POST /items
-- with an Idempotency-Key of its own: `-- <prefix>` makes the keys unique to the run).
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  prefix = (args[1] or "run") .. "-" .. tid .. "-"
  counter = 0
end

function request()
  counter = counter + 1
  if counter % 10 == 0 then
    return wrk.format("POST", "/items", {
      ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = prefix .. counter,
    }, '{"name": "bench", "price": 1.5, "tags": ["scale-out"]}')
  end
  return wrk.format("GET", "/items/" .. (counter % 100 + 1))
end
