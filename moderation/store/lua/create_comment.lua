-- Intake: store a new comment in state queued, after its checks, in one step.
-- Checks, in order: the Idempotency-Key still holds this request's claim (a retry of an
-- already created comment is 'exists'), the parent comment is in the same site and thread,
-- the submission is under every flood-control limit (sliding windows: per commenter IP, per
-- commenter e-mail, per site; moderation/store/ratelimit.py). Then: sequence number, the comment hash, one audit
-- event, the queued set, the commenter's index, the site's ready list, the stored 202 under the Idempotency-Key.
-- A comment that finds the ready list empty wakes the workers: a drain message for the site
-- goes onto the broker's queue when the broker is this Redis (ARGV[13], built by
-- workers/task_messages.py); otherwise the reply asks the API to publish one. While the list is
-- not empty, a drain message is already on its way (take_ready.lua keeps one going).
local comment_key, sequence_key, audit_key, queued_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
-- KEYS[5]: the commenter's index of comments (the comment's own key when the commenter is unknown)
local commenter_index_key, parent_key, idempotency_key = KEYS[5], KEYS[6], KEYS[7]
local broker_queue_key, ready_key = KEYS[8], KEYS[9]
local comment_id, now, request_id, audit_max = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
-- ARGV[5]: how many limits; KEYS[10..] their (current, previous) counters in pairs and ARGV[15..]
-- their (limit, previous window's weight, expiry, retry after) in fours. ARGV[6]: unused.
local limits = tonumber(ARGV[5])
local parent_id, site_id, thread = ARGV[7], ARGV[8], ARGV[9]  -- parent_id '': no parent
local claim_token, response, response_ttl = ARGV[10], ARGV[11], ARGV[12]  -- claim_token '': no key
local wake_message = ARGV[13]  -- '': the API publishes the drain task itself
local submission = cjson.decode(ARGV[14])  -- the submission's fields, one JSON object of strings

if claim_token ~= '' then
  local held = redis.call('GET', idempotency_key)
  if held then
    local record = cjson.decode(held)
    if record['state'] == 'done' and type(record['body']) == 'table' and record['body']['id'] == comment_id then
      return {'exists', 0, 0}
    end
    if record['state'] ~= 'in-progress' or record['token'] ~= claim_token then
      return {'conflict', 0, 0}
    end
  end
end
if parent_id ~= '' then
  local parent = redis.call('HMGET', parent_key, 'site_id', 'thread')
  if parent[1] ~= site_id or parent[2] ~= thread then return {'no_parent', 0, 0} end
end
for index = 0, limits - 1 do
  local current_key, previous_key = KEYS[10 + 2 * index], KEYS[11 + 2 * index]
  local limit, weight = tonumber(ARGV[15 + 4 * index]), tonumber(ARGV[16 + 4 * index])
  local estimate = tonumber(redis.call('GET', previous_key) or '0') * weight
                   + tonumber(redis.call('GET', current_key) or '0')
  if estimate + 1 > limit then return {'limited', tonumber(ARGV[18 + 4 * index]), index} end
end
for index = 0, limits - 1 do  -- every limit passed: count this submission in each
  local current_key = KEYS[10 + 2 * index]
  if redis.call('INCR', current_key) == 1 then redis.call('EXPIRE', current_key, ARGV[17 + 4 * index]) end
end
local seq = redis.call('INCR', sequence_key)
local fields = {'id', comment_id, 'seq', seq, 'status', STATE.queued, 'attempts', 0,
                'created_at', now, 'updated_at', now, 'request_id', request_id}
for name, value in pairs(submission) do
  fields[#fields + 1] = name
  fields[#fields + 1] = value
end
redis.call('HSET', comment_key, unpack(fields))
record_change(audit_key, comment_key, audit_max, comment_id, '', STATE.queued, now, 'api', 'submitted',
              request_id)
redis.call('ZADD', queued_key, now, comment_id)
if commenter_index_key ~= comment_key then redis.call('ZADD', commenter_index_key, seq, comment_id) end
if claim_token ~= '' then redis.call('SET', idempotency_key, response, 'EX', response_ttl) end
local wake = 0
if redis.call('LPUSH', ready_key, comment_id) == 1 then
  wake = 1
  if wake_message ~= '' then redis.call('LPUSH', broker_queue_key, wake_message) end
end
return {'created', seq, wake}
