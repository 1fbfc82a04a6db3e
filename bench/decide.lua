-- wrk script: POST /v1/decisions with a distinct claim (and customer) per request, so
-- every request is a real decision, not an idempotent replay.
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  token = os.getenv("ARBITER_TOKEN") or "bench-operator-token"
end

function request()
  counter = counter + 1
  local n = id .. "-" .. counter
  local body = string.format([[{"claim_id":"bench-%s","revision":1,"shop_id":"bench-shop-%d","now":"2026-11-20T10:00:00Z","opened_at":"2026-11-20T09:55:00Z","kind":"damaged","order":{"order_id":"o-%s","currency":"RUB","total":459000,"placed_at":"2026-11-16T12:00:00Z","delivered_at":"2026-11-19T18:00:00Z","fulfilment":"3p","courier":"seller"},"items":[{"sku":"v","title":"Vase","unit_price":35000,"quantity_ordered":1,"quantity_affected":1,"category":"home"}],"customer":{"customer_id":"u-%s","account_created_at":"2024-02-01T00:00:00Z"},"evidence":{"photos":[],"damage_confirmed":true}}]], n, counter % 50, n, n)
  return wrk.format("POST", "/v1/decisions", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end

function done(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50_us=%d p99_us=%d errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
