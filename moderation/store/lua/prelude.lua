-- Shared by every script (moderation/store/scripts.py puts it first, after the generated
-- STATE and LATENCY_BUCKETS tables, which come from the Python constants).

-- One state change, recorded twice:
-- * in the comment's own history, never trimmed: its hash field 'history', a JSON array of
--   [at, from, to, actor, detail, request_id] entries (request_id '' when it is the comment's
--   own, the request that submitted it). One field of the hash rather than a list key of its
--   own: about 200 bytes less per comment (docs/data-model.md).
-- * in the site's audit stream, trimmed to about audit_max entries: an index of who moved which
--   comment where (comment, from, to, actor; the entry id is the time); the details are in the
--   comment's history. A worker starting an attempt (queued -> processing) is left out of the
--   stream (in_stream false): it is in the history, and the stream lists what a newsroom audits,
--   submissions and decisions (about 80 bytes less per comment).
local function record_change(audit_key, comment_key, audit_max, comment_id, from, to, now, actor,
                             detail, request_id, in_stream)
  if in_stream ~= false then
    redis.call('XADD', audit_key, 'MAXLEN', '~', audit_max, '*', 'comment', comment_id, 'from', from,
               'to', to, 'actor', actor)
  end
  if request_id == redis.call('HGET', comment_key, 'request_id') then request_id = '' end
  local entry = cjson.encode({now, from, to, actor, detail, request_id})
  local history = redis.call('HGET', comment_key, 'history')
  if history then
    history = string.sub(history, 1, -2) .. ',' .. entry .. ']'
  else
    history = '[' .. entry .. ']'
  end
  redis.call('HSET', comment_key, 'history', history)
end

-- A decision's counters: one per outcome, one per outcome and reason code, and the time from
-- submission (created_at) to now in the latency histogram (non-cumulative buckets); the same
-- outcome and reason counters in the hour's hash too (keys.hourly_stats_key).
local HOURLY_STATS_SECONDS = 8 * 86400  -- the overview charts show a week
local function record_decision_stats(decisions_key, latency_key, hourly_key, outcome, reason_codes, created_at, now)
  redis.call('HINCRBY', decisions_key, outcome, 1)
  redis.call('HINCRBY', hourly_key, outcome, 1)
  for code in string.gmatch(reason_codes, '[^,]+') do
    redis.call('HINCRBY', decisions_key, outcome .. '|' .. code, 1)
    redis.call('HINCRBY', hourly_key, outcome .. '|' .. code, 1)
  end
  redis.call('EXPIRE', hourly_key, HOURLY_STATS_SECONDS)
  local seconds = tonumber(now) - tonumber(created_at or now)
  local bucket = 'le:+Inf'
  for _, bound in ipairs(LATENCY_BUCKETS) do
    if seconds <= bound then bucket = 'le:' .. bound break end
  end
  redis.call('HINCRBY', latency_key, bucket, 1)
  redis.call('HINCRBY', latency_key, 'count', 1)
  redis.call('HINCRBYFLOAT', latency_key, 'sum', seconds)
end

-- A moderator's action, counted in the hour's hash as 'moderator|<new state>'.
local function record_moderator_action(hourly_key, to)
  redis.call('HINCRBY', hourly_key, 'moderator|' .. to, 1)
  redis.call('EXPIRE', hourly_key, HOURLY_STATS_SECONDS)
end
