-- A worker starts on a comment: count the attempt and hand back the comment.
-- queued -> processing (one audit event); a comment already processing (a redelivered or swept
-- task, or a worker that died) is resumed without a new event; past the attempt cap it becomes
-- failed and is dead-lettered instead. Returns {outcome, previous state, attempts, fields...}
-- with the comment's hash as field/value pairs when the worker should process it.
local comment_key, audit_key = KEYS[1], KEYS[2]
local queued_key, processing_key, dead_letter_key = KEYS[3], KEYS[4], KEYS[5]
local decisions_key, latency_key, hourly_key = KEYS[6], KEYS[7], KEYS[8]
local comment_id, now, max_attempts, actor = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local request_id, audit_max = ARGV[5], ARGV[6]

local current = redis.call('HGET', comment_key, 'status')
if not current then return {'missing', '', 0} end
if current ~= STATE.queued and current ~= STATE.processing then
  return {'final', current, tonumber(redis.call('HGET', comment_key, 'attempts') or '0')}
end
-- A batch names no request: the events carry the one that submitted the comment.
if request_id == '' then request_id = redis.call('HGET', comment_key, 'request_id') or '' end
local attempts = redis.call('HINCRBY', comment_key, 'attempts', 1)
if attempts > max_attempts then
  local detail = 'gave up after ' .. (attempts - 1) .. ' attempts'
  redis.call('HSET', comment_key, 'status', STATE.failed, 'updated_at', now, 'failure', detail,
             'decided_at', now)
  record_change(audit_key, comment_key, audit_max, comment_id, current, STATE.failed, now, actor, detail,
                request_id)
  redis.call('ZREM', queued_key, comment_id)
  redis.call('ZREM', processing_key, comment_id)
  redis.call('LPUSH', dead_letter_key, comment_id)
  record_decision_stats(decisions_key, latency_key, hourly_key, STATE.failed, 'attempt_cap',
                        redis.call('HGET', comment_key, 'created_at'), now)
  return {'failed', current, attempts}
end
redis.call('ZREM', queued_key, comment_id)
redis.call('ZADD', processing_key, now, comment_id)
redis.call('HSET', comment_key, 'attempt_started_at', now)
local outcome = 'resumed'
if current == STATE.queued then
  outcome = 'started'
  redis.call('HSET', comment_key, 'status', STATE.processing, 'updated_at', now)
  record_change(audit_key, comment_key, audit_max, comment_id, current, STATE.processing, now, actor,
                'attempt ' .. attempts, request_id, false)
end
local reply = {outcome, current, attempts}
for _, value in ipairs(redis.call('HGETALL', comment_key)) do reply[#reply + 1] = value end
return reply
