-- Shared by every script (moderation/store/scripts.py puts it first, after the generated
-- STATE and LATENCY_BUCKETS tables, which come from the Python constants).

-- One state change: an entry in the service-wide audit stream (trimmed to about
-- audit_max entries) and the same entry in the comment's own history (never trimmed).
local function record_change(audit_key, history_key, audit_max, comment_id, from, to, now, actor,
                             detail, request_id)
  redis.call('XADD', audit_key, 'MAXLEN', '~', audit_max, '*', 'comment', comment_id, 'from', from,
             'to', to, 'at', now, 'actor', actor, 'detail', detail, 'request_id', request_id)
  redis.call('RPUSH', history_key, cjson.encode({at = now, from = from, to = to, actor = actor,
                                                 detail = detail, request_id = request_id}))
end

-- A decision's counters: one per outcome, one per outcome and reason code, and the time from
-- submission (created_at) to now in the latency histogram (non-cumulative buckets).
local function record_decision_stats(decisions_key, latency_key, outcome, reason_codes, created_at, now)
  redis.call('HINCRBY', decisions_key, outcome, 1)
  for code in string.gmatch(reason_codes, '[^,]+') do
    redis.call('HINCRBY', decisions_key, outcome .. '|' .. code, 1)
  end
  local seconds = tonumber(now) - tonumber(created_at or now)
  local bucket = 'le:+Inf'
  for _, bound in ipairs(LATENCY_BUCKETS) do
    if seconds <= bound then bucket = 'le:' .. bound break end
  end
  redis.call('HINCRBY', latency_key, bucket, 1)
  redis.call('HINCRBY', latency_key, 'count', 1)
  redis.call('HINCRBYFLOAT', latency_key, 'sum', seconds)
end
