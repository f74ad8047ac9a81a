-- Compare-and-set a comment's state: it moves only from one of the allowed states. One audit
-- event, the membership that goes with the new state (thread set, pending queue, dead-letter
-- list, or the queued/processing set), and for a decision its counters.
-- Returns {'changed', previous} or {'skipped', current} or {'missing', ''}.
local comment_key, audit_key = KEYS[1], KEYS[2]
local queued_key, processing_key, pending_key, target_key = KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local decisions_key, latency_key = KEYS[7], KEYS[8]
local comment_id, allowed_from, to, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local actor, detail, request_id, audit_max = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local target_kind, target_score = ARGV[9], ARGV[10]  -- 'zset' | 'list' | 'none'
local is_decision, reason_codes = ARGV[11] == '1', ARGV[12]  -- reason codes comma-separated
local dropped_fields = ARGV[13]  -- comma-separated fields to delete (a body stored packed: body_z)
local FIRST_FIELD = 14  -- ARGV[14..]: field/value pairs to store with the new state

local current = redis.call('HGET', comment_key, 'status')
if not current then return {'missing', ''} end
local allowed = false
for state in string.gmatch(allowed_from, '[^,]+') do
  if state == current then allowed = true end
end
if not allowed then return {'skipped', current} end

redis.call('HSET', comment_key, 'status', to, 'updated_at', now)
if #ARGV >= FIRST_FIELD then redis.call('HSET', comment_key, unpack(ARGV, FIRST_FIELD)) end
for name in string.gmatch(dropped_fields, '[^,]+') do redis.call('HDEL', comment_key, name) end
-- When the current attempt started matters only while it runs (the history keeps every start).
if to ~= STATE.processing then redis.call('HDEL', comment_key, 'attempt_started_at') end
record_change(audit_key, comment_key, audit_max, comment_id, current, to, now, actor, detail, request_id)
if to ~= STATE.queued then redis.call('ZREM', queued_key, comment_id) end
if to ~= STATE.processing then redis.call('ZREM', processing_key, comment_id) end
if current == STATE.pending then redis.call('ZREM', pending_key, comment_id) end
if target_kind == 'zset' then
  redis.call('ZADD', target_key, target_score, comment_id)
elseif target_kind == 'list' then
  redis.call('LPUSH', target_key, comment_id)
end
if is_decision then
  record_decision_stats(decisions_key, latency_key, to, reason_codes,
                        redis.call('HGET', comment_key, 'created_at'), now)
end
return {'changed', current}
