-- Spreads requests over many users: each request takes the next
-- "token<TAB>imageId" line of the file given after "--" (threads start at
-- different lines). Mode "id" asks GET /images/{id}, "list" GET /images?limit=20.
-- Prints one WRKJSON line. bench/reference/node-stack/load.sh drives the
-- Node stack with it too, so both sides see the same client.
local targets = {}
local mode = "id"
local i = 0
local thread_no = 0

function setup(thread)
  thread:set("offset", thread_no * 7)
  thread_no = thread_no + 1
end

function init(args)
  for line in io.lines(args[1]) do
    local token, id = line:match("^(%S+)\t(%S+)$")
    if token then targets[#targets + 1] = { "Bearer " .. token, id } end
  end
  assert(#targets > 0, "no targets in " .. args[1])
  mode = args[2] or "id"
  i = (tonumber(offset) or 0) % #targets
end

function request()
  i = i % #targets + 1
  local t = targets[i]
  local path = mode == "list" and "/images?limit=20" or ("/images/" .. t[2])
  return wrk.format("GET", path, { ["Authorization"] = t[1] })
end

function done(summary, latency, requests)
  local e = summary.errors
  local dur = summary.duration / 1e6
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_s":%.3f,"rps":%.2f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,' ..
    '"max_ms":%.3f,"mean_ms":%.3f,"bytes":%d,"err_connect":%d,"err_read":%d,"err_write":%d,' ..
    '"err_status":%d,"err_timeout":%d}\n',
    summary.requests, dur, summary.requests / dur,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout))
end
