-- The result of one try of a webhook delivery, written only if it is still 'pending' at that
-- try (ARGV[2]): the try's log entry (ARGV[3], JSON) appended to its 'log' array, the new state
-- (ARGV[4]: 'pending' to try again at ARGV[5], 'delivered' or 'failed'), and its place in the due
-- set. KEYS: the delivery's hash, the due set. ARGV[1]: the delivery id; ARGV[6]: now; ARGV[7]: TTL.
-- Returns 1 when written, 0 when the delivery moved on (or is gone).
local delivery_key, due_key = KEYS[1], KEYS[2]
local delivery_id, attempt, entry, state, next_at, now, ttl =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local current, attempts, log = unpack(redis.call('HMGET', delivery_key, 'state', 'attempts', 'log'))
if current ~= 'pending' or attempts ~= attempt then return 0 end
if log then log = string.sub(log, 1, -2) .. ',' .. entry .. ']' else log = '[' .. entry .. ']' end
redis.call('HSET', delivery_key, 'log', log, 'state', state, 'updated_at', now)
if state == 'pending' then
  redis.call('HSET', delivery_key, 'next_attempt_at', next_at)
  redis.call('ZADD', due_key, next_at, delivery_id)
else
  redis.call('HDEL', delivery_key, 'next_attempt_at')
  redis.call('ZREM', due_key, delivery_id)
end
redis.call('EXPIRE', delivery_key, ttl)
return 1
