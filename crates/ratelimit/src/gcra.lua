-- GCRA check for one key, atomically: the Lua twin of gcra.rs, in microseconds.
-- KEYS[1]: the key's TAT. ARGV: emission interval, tolerance, and an optional
-- "now" for tests ('' = Redis server time, so replicas with skewed clocks agree).
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local now
if ARGV[3] ~= nil and ARGV[3] ~= '' then
  now = tonumber(ARGV[3])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local tat = tonumber(redis.call('GET', KEYS[1]) or 0) or 0
local backlog = tat - now
if backlog < 0 then backlog = 0 end
if backlog > tolerance then
  -- Refused: the state is left alone.
  return {0, backlog}
end
local new_tat = now + backlog + interval
-- '%.0f' keeps all digits (plain tostring would round to 14); the key lives
-- only until it is fully replenished, when it would mean nothing anyway.
redis.call('SET', KEYS[1], string.format('%.0f', new_tat),
  'PX', string.format('%.0f', math.ceil((new_tat - now) / 1000)))
return {1, backlog}
