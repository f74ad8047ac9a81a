-- Compare-and-set a comment's state: it moves only from one of the allowed states. One audit
-- event, the comment leaves the index of its old state and joins the index of the new one
-- (queued/processing sets, the thread's approved set, the pending, rejected and spam queues,
-- the dead-letter list; a moderator's decision also takes it out of the Reported queue), and for a
-- decision its counters.
-- Returns {'changed', previous} or {'skipped', current} or {'missing', ''}.
local comment_key, audit_key = KEYS[1], KEYS[2]
local decisions_key, latency_key = KEYS[3], KEYS[4]
-- Each state's index (KEYS[5..11]): sorted sets scored by seq, but the in-flight ones (by time)
-- and the dead-letter list.
local index = {[STATE.queued] = KEYS[5], [STATE.processing] = KEYS[6], [STATE.approved] = KEYS[7],
               [STATE.pending] = KEYS[8], [STATE.rejected] = KEYS[9], [STATE.spam] = KEYS[10],
               [STATE.failed] = KEYS[11]}
local hourly_key = KEYS[12]  -- this hour's counters (the overview charts)
local reported_key = KEYS[13]  -- the site's Reported queue (readers' reports: report_comment.lua)
local comment_id, allowed_from, to, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local actor, detail, request_id, audit_max = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
-- ARGV[9]: '1' a decision (counted with its reason codes, comma-separated in ARGV[10]),
-- 'm' a moderator's action (counted by hour), '0' neither
local is_decision, by_moderator, reason_codes = ARGV[9] == '1', ARGV[9] == 'm', ARGV[10]
local dropped_fields = ARGV[11]  -- comma-separated fields to delete (a body stored packed: body_z)
local FIRST_FIELD = 12  -- ARGV[12..]: field/value pairs to store with the new state

local current = redis.call('HGET', comment_key, 'status')
if not current then return {'missing', ''} end
local allowed = false
for state in string.gmatch(allowed_from, '[^,]+') do
  if state == current then allowed = true end
end
if not allowed then return {'skipped', current} end
-- A comment in the Reported queue leaves it with a moderator's decision. Approving it where it is
-- (approved) is such a decision, a dismissal of the reports: the only move to the state a comment
-- is in, made only while it is in that queue.
local reported = redis.call('ZSCORE', reported_key, comment_id)
if current == to and not reported then return {'skipped', current} end

redis.call('HSET', comment_key, 'status', to, 'updated_at', now)
if #ARGV >= FIRST_FIELD then redis.call('HSET', comment_key, unpack(ARGV, FIRST_FIELD)) end
for name in string.gmatch(dropped_fields, '[^,]+') do redis.call('HDEL', comment_key, name) end
-- When the current attempt started matters only while it runs (the history keeps every start).
if to ~= STATE.processing then redis.call('HDEL', comment_key, 'attempt_started_at') end
record_change(audit_key, comment_key, audit_max, comment_id, current, to, now, actor, detail, request_id)

-- Indexes: out of every in-flight set and the old state's, into the new state's.
for _, state in ipairs({STATE.queued, STATE.processing}) do
  if state ~= to then redis.call('ZREM', index[state], comment_id) end
end
if current ~= to then
  if current == STATE.failed then
    redis.call('LREM', index[current], 0, comment_id)
  elseif index[current] and current ~= STATE.queued and current ~= STATE.processing then
    redis.call('ZREM', index[current], comment_id)
  end
  if to == STATE.failed then
    redis.call('LPUSH', index[to], comment_id)
  elseif to == STATE.queued or to == STATE.processing then
    redis.call('ZADD', index[to], now, comment_id)
  else
    redis.call('ZADD', index[to], redis.call('HGET', comment_key, 'seq'), comment_id)
  end
end
if reported then
  -- Out of the queue; a comment the reports hid goes back to its thread if it stays approved. The
  -- reports so far count as reviewed: the thresholds count only later ones.
  redis.call('ZREM', reported_key, comment_id)
  if to == STATE.approved and redis.call('HEXISTS', comment_key, 'hidden_at') == 1 then
    redis.call('ZADD', index[STATE.approved], redis.call('HGET', comment_key, 'seq'), comment_id)
  end
  redis.call('HSET', comment_key, 'reports_reviewed', redis.call('HGET', comment_key, 'reports') or '0')
  redis.call('HDEL', comment_key, 'reported_at', 'hidden_at')
end
if is_decision then
  record_decision_stats(decisions_key, latency_key, hourly_key, to, reason_codes,
                        redis.call('HGET', comment_key, 'created_at'), now)
elseif by_moderator then
  record_moderator_action(hourly_key, to)
end
return {'changed', current}
