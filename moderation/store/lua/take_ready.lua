-- A drain task takes the oldest comments of a site's ready list, at most ARGV[1] of them, and
-- records them under its task (KEYS[3], for ARGV[3] seconds): the same task delivered again
-- (its worker died) gets the same batch back instead of a new one. When comments remain,
-- another drain message goes onto the broker's queue (KEYS[2], when the broker is this Redis
-- and ARGV[2] holds the message), so an idle worker joins in at once instead of waiting for
-- this batch to end. Returns {more (0|1), ids...}.
local ready_key, broker_queue_key, batch_key = KEYS[1], KEYS[2], KEYS[3]
local limit, continuation, batch_ttl = tonumber(ARGV[1]), ARGV[2], ARGV[3]

local taken = redis.call('GET', batch_key)
if taken then
  local reply = {0}
  for comment_id in string.gmatch(taken, '[^,]+') do reply[#reply + 1] = comment_id end
  return reply
end
local ids = redis.call('RPOP', ready_key, limit)
if not ids then return {0} end
redis.call('SET', batch_key, table.concat(ids, ','), 'EX', batch_ttl)
local more = 0
if redis.call('LLEN', ready_key) > 0 then
  more = 1
  if continuation ~= '' then redis.call('LPUSH', broker_queue_key, continuation) end
end
local reply = {more}
for _, comment_id in ipairs(ids) do reply[#reply + 1] = comment_id end
return reply
