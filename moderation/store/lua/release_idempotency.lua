-- Delete an Idempotency-Key only while it holds this request's in-progress claim
-- (never a stored response, never another request's claim).
local idempotency_key = KEYS[1]
local in_progress, fingerprint = ARGV[1], ARGV[2]
local value = redis.call('GET', idempotency_key)
if value then
  local record = cjson.decode(value)
  if record['state'] == in_progress and record['fingerprint'] == fingerprint then
    return redis.call('DEL', idempotency_key)
  end
end
return 0
