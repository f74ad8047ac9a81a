-- A worker starts one try of a webhook delivery: only while it is 'pending' and has had exactly
-- ARGV[2] tries (a task sent twice for the same try runs once: the second finds 'duplicate').
-- Counts the try, extends the lease (its score in the due set) to ARGV[3], renews the TTL
-- (ARGV[4]). KEYS: the delivery's hash, the due set. ARGV[1]: the delivery id.
-- Returns {'started', the delivery's fields...} or {outcome}: missing, duplicate, delivered, failed.
local delivery_key, due_key = KEYS[1], KEYS[2]
local delivery_id, expected, lease_until, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local state, attempts = unpack(redis.call('HMGET', delivery_key, 'state', 'attempts'))
if not state then
  redis.call('ZREM', due_key, delivery_id)
  return {'missing'}
end
if state ~= 'pending' then
  redis.call('ZREM', due_key, delivery_id)
  return {state}
end
if (attempts or '0') ~= expected then return {'duplicate'} end
redis.call('HINCRBY', delivery_key, 'attempts', 1)
redis.call('ZADD', due_key, lease_until, delivery_id)
redis.call('EXPIRE', delivery_key, ttl)
local reply = {'started'}
for _, value in ipairs(redis.call('HGETALL', delivery_key)) do reply[#reply + 1] = value end
return reply
