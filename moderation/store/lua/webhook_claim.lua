-- The site's webhook deliveries due by ARGV[1] (epoch s), at most ARGV[3]: each is leased until
-- ARGV[2] (its score moves there), so the next dispatcher run does not send it again while a
-- worker tries it, and sends it again if that worker died. KEYS[1]: the due set. Returns the ids.
local due_key = KEYS[1]
local ids = redis.call('ZRANGEBYSCORE', due_key, '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, delivery_id in ipairs(ids) do
  redis.call('ZADD', due_key, 'XX', ARGV[2], delivery_id)
end
return ids
