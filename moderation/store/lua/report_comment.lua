-- One reader's report of a published comment (moderation/reader_reports.py), in one step: only an
-- approved comment can be reported; one report per reader (a set of keyed digests per comment);
-- the report is counted on the comment's hash (in all and by reason, with the reader's note among
-- the latest few); past the site's thresholds, counting only the reports no moderator has reviewed
-- yet (reports - reports_reviewed), the comment enters the site's Reported queue (queue_at) and
-- leaves its thread's listing while it waits there (hide_at, 0: never; it stays approved). Each
-- threshold crossed is one audit entry, in the site's stream and in the comment's history: from its
-- status to 'reported', by 'reader:<digest>'. Reports below the thresholds are only counted.
-- Returns {outcome, reports, status}: 'counted' (reports: the count now), 'duplicate' (this reader
-- reported it before: nothing written), 'missing' (no such comment), 'not_approved' (status: its
-- state; nothing written).
local comment_key, reporters_key, reported_key = KEYS[1], KEYS[2], KEYS[3]
local thread_key, audit_key = KEYS[4], KEYS[5]  -- the comment's thread's approved set; the audit stream
local comment_id, reader, reason, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local queue_at, hide_at = tonumber(ARGV[5]), tonumber(ARGV[6])
local actor, audit_max, request_id = ARGV[7], ARGV[8], ARGV[9]
local note, kept_notes = ARGV[10], tonumber(ARGV[11])  -- note '': none

local status = redis.call('HGET', comment_key, 'status')
if not status then return {'missing', 0, ''} end
if status ~= STATE.approved then return {'not_approved', 0, status} end
if redis.call('SADD', reporters_key, reader) == 0 then
  return {'duplicate', tonumber(redis.call('HGET', comment_key, 'reports') or '0'), status}
end

local reports = redis.call('HINCRBY', comment_key, 'reports', 1)
local reasons = cjson.decode(redis.call('HGET', comment_key, 'report_reasons') or '{}')
reasons[reason] = (reasons[reason] or 0) + 1
redis.call('HSET', comment_key, 'report_reasons', cjson.encode(reasons))
if note ~= '' then
  local notes = cjson.decode(redis.call('HGET', comment_key, 'report_notes') or '[]')
  table.insert(notes, {reason = reason, note = note, at = now})
  while #notes > kept_notes do table.remove(notes, 1) end
  redis.call('HSET', comment_key, 'report_notes', cjson.encode(notes))
end

local open_reports = reports - tonumber(redis.call('HGET', comment_key, 'reports_reviewed') or '0')
local crossed = {}
if open_reports >= queue_at and redis.call('ZADD', reported_key, 'NX', now, comment_id) == 1 then
  redis.call('HSET', comment_key, 'reported_at', now)
  table.insert(crossed, 'in the Reported queue')
end
if hide_at > 0 and open_reports >= hide_at and redis.call('HEXISTS', comment_key, 'hidden_at') == 0 then
  redis.call('ZADD', reported_key, 'NX', now, comment_id)  -- never hidden out of moderators' sight
  if redis.call('HEXISTS', comment_key, 'reported_at') == 0 then redis.call('HSET', comment_key, 'reported_at', now) end
  redis.call('ZREM', thread_key, comment_id)
  redis.call('HSET', comment_key, 'hidden_at', now)
  table.insert(crossed, 'hidden from its thread')
end
if #crossed > 0 then
  local counts = {}
  for name, count in pairs(reasons) do table.insert(counts, name .. ' ' .. count) end
  table.sort(counts)
  redis.call('HSET', comment_key, 'updated_at', now)
  record_change(audit_key, comment_key, audit_max, comment_id, status, 'reported', now, actor,
                reports .. ' reports (' .. table.concat(counts, ', ') .. '): ' .. table.concat(crossed, ', '),
                request_id)
end
return {'counted', reports, status}
