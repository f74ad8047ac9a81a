-- New webhook deliveries of one site (moderation/webhooks/store.py): each is created only if it
-- does not exist yet (a delivery's id is derived from its endpoint and event, so a dispatcher
-- that runs twice over the same audit entries creates nothing twice), added to its endpoint's
-- log (trimmed to ARGV[3] deliveries) and made due at once, scored by its event's time (the
-- oldest is sent first); then the dispatcher's cursor moves forward to ARGV[1] (never back).
-- KEYS: cursor, due set, then per delivery its hash and its endpoint's log. ARGV: new cursor
-- ('' to leave it), TTL of a delivery (s), log size, then per delivery: id, created (epoch ms),
-- its fields (one JSON object of strings).
-- Returns {created, ids trimmed from the logs...} (the caller deletes the trimmed hashes).
local cursor_key, due_key = KEYS[1], KEYS[2]
local new_cursor, ttl, log_max = ARGV[1], ARGV[2], tonumber(ARGV[3])

local function stream_id_less(a, b)
  local a_ms, a_seq = string.match(a, '^(%d+)-(%d+)$')
  local b_ms, b_seq = string.match(b, '^(%d+)-(%d+)$')
  if not a_ms then return true end
  if tonumber(a_ms) ~= tonumber(b_ms) then return tonumber(a_ms) < tonumber(b_ms) end
  return tonumber(a_seq) < tonumber(b_seq)
end

local created, reply = 0, {0}
for i = 1, (#KEYS - 2) / 2 do
  local delivery_key, log_key = KEYS[1 + 2 * i], KEYS[2 + 2 * i]
  local delivery_id, created_ms, fields = ARGV[1 + 3 * i], ARGV[2 + 3 * i], ARGV[3 + 3 * i]
  if redis.call('EXISTS', delivery_key) == 0 then
    local values = {}
    for name, value in pairs(cjson.decode(fields)) do
      values[#values + 1] = name
      values[#values + 1] = value
    end
    redis.call('HSET', delivery_key, unpack(values))
    redis.call('EXPIRE', delivery_key, ttl)
    redis.call('ZADD', log_key, created_ms, delivery_id)
    redis.call('ZADD', due_key, tonumber(created_ms) / 1000, delivery_id)  -- due at once, oldest event first
    created = created + 1
    local excess = redis.call('ZCARD', log_key) - log_max
    if excess > 0 then
      for _, old in ipairs(redis.call('ZRANGE', log_key, 0, excess - 1)) do
        reply[#reply + 1] = old
        redis.call('ZREM', due_key, old)
      end
      redis.call('ZREMRANGEBYRANK', log_key, 0, excess - 1)
    end
  end
end
if new_cursor ~= '' then
  local current = redis.call('GET', cursor_key)
  if not current or stream_id_less(current, new_cursor) then redis.call('SET', cursor_key, new_cursor) end
end
reply[1] = created
return reply
